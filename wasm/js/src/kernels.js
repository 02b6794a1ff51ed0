// The guest's numeric kernels (docs/WASM.md §7): the guest imports them
// from the `portolan_accel` module and asks `abi_version()` once, at
// _initialize; a host must always supply the module, so without kernels
// it gets stubs whose abi_version is 0 and the guest runs its own Go code.
//
// With kernels, the SIMD128 module (portolan_accel.wasm, beside
// portolan.wasm) runs on the guest's memory: it imports it as
// guest.memory, so it can only be instantiated after the guest, while the
// guest's imports are bound when the guest is instantiated. The guest's
// imports are therefore small functions that call into the kernel
// instance once it exists (link).

/** The import module name. */
export const KERNEL_MODULE = 'portolan_accel';

/** The kernel ABI version the guest asks for. */
export const KERNEL_ABI = 1;

// (module (func (param v128) (result v128) (f32x4.add (local.get 0) (local.get 0)))):
// it validates where the engine has WebAssembly SIMD128.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 11, 1,
  9, 0, 32, 0, 32, 0, 253, 228, 1, 11]);

/** Whether this engine runs WebAssembly SIMD128. */
export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * The portolan_accel imports for one guest instance. With a compiled
 * kernel module, call link(guestExports) after instantiating the guest and
 * before its _initialize; without one (null), the imports are stubs.
 * @param {WebAssembly.Module} guestModule the guest, for its import list
 * @param {WebAssembly.Module|null} kernelModule
 */
export function kernelImports(guestModule, kernelModule) {
  const names = WebAssembly.Module.imports(guestModule)
    .filter((i) => i.module === KERNEL_MODULE && i.kind === 'function').map((i) => i.name);
  const imports = {};
  if (kernelModule === null) {
    for (const name of names) {
      imports[name] = name === 'abi_version' ? () => 0 : () => {
        throw new Error(`portolan_accel.${name} called, but no kernels were linked (abi_version is 0)`);
      };
    }
    return { imports, link() {} };
  }
  const setters = {};
  for (const name of names) [imports[name], setters[name]] = forwarder(name);
  return {
    imports,
    link(guestExports) {
      const inst = new WebAssembly.Instance(kernelModule, { guest: { memory: guestExports.memory } });
      for (const name of names) {
        if (typeof inst.exports[name] !== 'function') throw new Error(`the kernel module has no ${name}`);
        setters[name](inst.exports[name]);
      }
    },
  };
}

// The kernels' parameter counts (internal/kernelabi).
const ARITY = {
  abi_version: 0, implementation: 0, gemm_panel: 0, gemm: 9, dot: 3, exp: 3, max: 2, exp_shift_sum: 3,
  add_layer_norm: 7, relu: 2, seg_mean_max: 5, weighted_max4: 5, gru_gates: 5, lstm_gates: 5, dequant_f16: 3,
  dequant_int8: 5,
};

// forwarder returns an import that calls the function set later, and its
// setter (a closure of the kernel's own arity: V8 calls these faster than
// one with rest parameters).
function forwarder(name) {
  let f = () => { throw new Error(`portolan_accel.${name} called before the kernels were linked`); };
  const set = (g) => { f = g; };
  switch (ARITY[name]) {
    case 0: return [() => f(), set];
    case 2: return [(a, b) => f(a, b), set];
    case 3: return [(a, b, c) => f(a, b, c), set];
    case 5: return [(a, b, c, d, e) => f(a, b, c, d, e), set];
    case 7: return [(a, b, c, d, e, g, h) => f(a, b, c, d, e, g, h), set];
    case 9: return [(a, b, c, d, e, g, h, i, j) => f(a, b, c, d, e, g, h, i, j), set];
    default: return [(...a) => f(...a), set];
  }
}
