;; Portolan's numeric kernels in WebAssembly SIMD128: the portolan_accel
;; module a host links to the guest (docs/WASM.md §7, internal/kernelabi).
;; It has no memory of its own: it imports the guest's ("guest" "memory")
;; and computes in place there. Pointers are byte offsets, lengths count
;; elements, as the guest's imports pass them.
;;
;; Every kernel computes what accel's generic Go code computes, operation
;; for operation: the same float32 products and sums in the same order
;; (a 4-lane accumulator holds exactly the generic code's four partial
;; sums, lanes i mod 4), the same exponential polynomial, the same
;; float64 statistics in the layer norm. So the results are bit-identical
;; to the guest's own Go code (wasm/kernels tests check it); only the sign
;; of a zero maximum may differ.
;;
;; Assembled with wabt's wat2wasm (`make wasm` → build/wasm/portolan_accel.wasm).
(module
  (import "guest" "memory" (memory 0))

  ;; ---- identity -------------------------------------------------------
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "implementation") (result i32) (i32.const 1)) ;; kernelabi.ImplSIMD128
  (func (export "gemm_panel") (result i32) (i32.const 32))   ;; 12×32 tiles

  ;; ---- lane helpers ---------------------------------------------------

  ;; $load_tail loads the n (1..3) floats at p into the low lanes of a
  ;; vector whose other lanes hold fill (reading nothing past p+4n).
  (func $load_tail (param $p i32) (param $n i32) (param $fill f32) (result v128)
    (local $v v128)
    (local.set $v (f32x4.splat (local.get $fill)))
    (local.set $v (f32x4.replace_lane 0 (local.get $v) (f32.load (local.get $p))))
    (if (i32.gt_u (local.get $n) (i32.const 1))
      (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $p))))))
    (if (i32.gt_u (local.get $n) (i32.const 2))
      (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $p))))))
    (local.get $v))

  ;; $store_tail stores the low n (1..3) lanes of v at p.
  (func $store_tail (param $p i32) (param $n i32) (param $v v128)
    (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
    (if (i32.gt_u (local.get $n) (i32.const 1))
      (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.gt_u (local.get $n) (i32.const 2))
      (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))

  ;; $hsum4 is ((l0+l1)+(l2+l3)): the generic code's four partial sums added.
  (func $hsum4 (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; $hmax4 is the largest lane.
  (func $hmax4 (param $v v128) (result f32)
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; ---- exponential ----------------------------------------------------

  ;; $exp4 is accel's expGeneric on four lanes: x = k·ln2 + r with k the
  ;; product with log2(e) rounded half away from zero, a degree-6 Horner
  ;; polynomial for e^r, 2^k in the exponent bits (in two steps below
  ;; 2^-126); NaN stays NaN, above 88.72283 is +Inf, below −103.97 is 0.
  (func $exp4 (param $x v128) (result v128)
    (local $t v128) (local $ki v128) (local $k v128) (local $r v128) (local $p v128)
    (local $sub v128) (local $y v128)
    (local.set $t (f32x4.mul (local.get $x) (v128.const f32x4 0x1.715476p+0 0x1.715476p+0 0x1.715476p+0 0x1.715476p+0)))
    ;; t ± 0.5 by its sign, then truncate
    (local.set $t (f32x4.add (local.get $t)
      (v128.bitselect (v128.const f32x4 -0.5 -0.5 -0.5 -0.5) (v128.const f32x4 0.5 0.5 0.5 0.5)
        (f32x4.lt (local.get $t) (v128.const f32x4 0 0 0 0)))))
    (local.set $ki (i32x4.trunc_sat_f32x4_s (local.get $t)))
    (local.set $k (f32x4.convert_i32x4_s (local.get $ki)))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0x1.63p-1 0x1.63p-1 0x1.63p-1 0x1.63p-1)))
      (f32x4.mul (local.get $k) (v128.const f32x4 -0x1.bd0106p-13 -0x1.bd0106p-13 -0x1.bd0106p-13 -0x1.bd0106p-13))))
    (local.set $p (v128.const f32x4 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    ;; 2^k: (k+127)<<23, or (k+191)<<23 and a second factor 2^-64 below 2^-126
    (local.set $sub (i32x4.lt_s (local.get $ki) (v128.const i32x4 -126 -126 -126 -126)))
    (local.set $y (f32x4.mul (local.get $p)
      (i32x4.shl
        (i32x4.add (local.get $ki)
          (v128.bitselect (v128.const i32x4 191 191 191 191) (v128.const i32x4 127 127 127 127) (local.get $sub)))
        (i32.const 23))))
    (local.set $y (v128.bitselect
      (f32x4.mul (local.get $y) (v128.const f32x4 0x1p-64 0x1p-64 0x1p-64 0x1p-64))
      (local.get $y) (local.get $sub)))
    ;; the special cases, in the generic code's order: NaN, overflow, underflow
    (local.set $y (v128.bitselect (v128.const f32x4 0 0 0 0) (local.get $y)
      (f32x4.lt (local.get $x) (v128.const f32x4 -0x1.9fe148p+6 -0x1.9fe148p+6 -0x1.9fe148p+6 -0x1.9fe148p+6))))
    (local.set $y (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get $y)
      (f32x4.gt (local.get $x) (v128.const f32x4 0x1.62e42ep+6 0x1.62e42ep+6 0x1.62e42ep+6 0x1.62e42ep+6))))
    (v128.bitselect (local.get $x) (local.get $y) (f32x4.ne (local.get $x) (local.get $x))))

  ;; $sigmoid4 is SigmoidVec: 1/(1+e^(−x)).
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp4 (f32x4.neg (local.get $x))))))

  ;; $tanh4 is TanhVec: 1 − 2/(e^(2x)+1).
  (func $tanh4 (param $x v128) (result v128)
    (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2)
        (f32x4.add (call $exp4 (f32x4.mul (v128.const f32x4 2 2 2 2) (local.get $x))) (v128.const f32x4 1 1 1 1)))))

  ;; exp(dst, x, n): dst[i] = e^x[i] (accel.Exp); dst may be x.
  (func (export "exp") (param $dst i32) (param $x i32) (param $n i32)
    (local $left i32)
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (v128.store align=4 (local.get $dst) (call $exp4 (v128.load align=4 (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $l)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $n)
      (then (call $store_tail (local.get $dst) (local.get $n)
        (call $exp4 (call $load_tail (local.get $x) (local.get $n) (f32.const 0)))))))

  ;; ---- products -------------------------------------------------------

  ;; dot(x, y, n): Σ x[i]·y[i] as accel's generic dot: four partial sums
  ;; (lanes i mod 4), ((s0+s1)+(s2+s3)), then the tail in order.
  (func (export "dot") (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $acc v128) (local $left i32) (local $s f32)
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load align=4 (local.get $x)) (v128.load align=4 (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $l)))
    (local.set $s (call $hsum4 (local.get $acc)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))

  ;; $gemm4x8 adds alpha·A·B to a 4×8 block of C: A four rows (stride lda
  ;; bytes) of depth k, B k rows of 8 (stride nrb bytes), C stride ldc
  ;; bytes. Each element is one running sum over the depth in order, then
  ;; c += alpha·sum, as accel's gemmTile.
  (func $gemm4x8 (param $k i32) (param $a i32) (param $lda i32) (param $b i32) (param $nrb i32)
                 (param $c i32) (param $ldc i32) (param $alpha v128)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $left i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a1 (i32.add (local.get $a) (local.get $lda)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $lda)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $lda)))
    (local.set $left (local.get $k)) ;; depth steps left
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $b0 (v128.load align=4 (local.get $b)))
        (local.set $b1 (v128.load offset=16 align=4 (local.get $b)))
        (local.set $x (v128.load32_splat (local.get $a)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (local.get $a1)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (local.get $a2)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (local.get $a3)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
        (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
        (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (local.get $nrb)))
        (br $l)))
    (call $addc8 (local.get $c) (local.get $alpha) (local.get $c00) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $addc8 (local.get $c) (local.get $alpha) (local.get $c10) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $addc8 (local.get $c) (local.get $alpha) (local.get $c20) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $addc8 (local.get $c) (local.get $alpha) (local.get $c30) (local.get $c31)))

  ;; $gemm1x8 is $gemm4x8 for one row.
  (func $gemm1x8 (param $k i32) (param $a i32) (param $b i32) (param $nrb i32) (param $c i32) (param $alpha v128)
    (local $left i32) (local $x v128) (local $c00 v128) (local $c01 v128)
    (local.set $left (local.get $k)) ;; depth steps left
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $x (v128.load32_splat (local.get $a)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (v128.load align=4 (local.get $b)))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (v128.load offset=16 align=4 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (local.get $nrb)))
        (br $l)))
    (call $addc8 (local.get $c) (local.get $alpha) (local.get $c00) (local.get $c01)))

  ;; $addc8 adds alpha·(v0, v1) to the 8 floats at c.
  (func $addc8 (param $c i32) (param $alpha v128) (param $v0 v128) (param $v1 v128)
    (v128.store align=4 (local.get $c)
      (f32x4.add (v128.load align=4 (local.get $c)) (f32x4.mul (local.get $alpha) (local.get $v0))))
    (v128.store offset=16 align=4 (local.get $c)
      (f32x4.add (v128.load offset=16 align=4 (local.get $c)) (f32x4.mul (local.get $alpha) (local.get $v1)))))

  ;; gemm(rows, nr, k, a, lda, b, c, ldc, alpha): the tile kernel:
  ;;   c[i·ldc+j] += alpha·Σ_p a[i·lda+p]·b[p·nr+j]   i < rows, j < nr
  ;; (nr a multiple of 8; A read in place), in blocks of 4 rows × 8 columns.
  (func (export "gemm") (param $rows i32) (param $nr i32) (param $k i32) (param $a i32) (param $lda i32)
                        (param $b i32) (param $c i32) (param $ldc i32) (param $alpha f32)
    (local $av v128) (local $j i32) (local $nrb i32) (local $ldab i32) (local $ldcb i32) (local $i i32)
    (local.set $av (f32x4.splat (local.get $alpha)))
    (local.set $nrb (i32.shl (local.get $nr) (i32.const 2)))
    (local.set $ldab (i32.shl (local.get $lda) (i32.const 2)))
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (block $rows_done
      (loop $row_block
        (br_if $rows_done (i32.lt_s (local.get $rows) (i32.const 4)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_s (local.get $j) (local.get $nrb)))
            (call $gemm4x8 (local.get $k) (local.get $a) (local.get $ldab)
              (i32.add (local.get $b) (local.get $j)) (local.get $nrb)
              (i32.add (local.get $c) (local.get $j)) (local.get $ldcb) (local.get $av))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br $col)))
        (local.set $a (i32.add (local.get $a) (i32.shl (local.get $ldab) (i32.const 2))))
        (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldcb) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 4)))
        (br $row_block)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.le_s (local.get $rows) (i32.const 0)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_s (local.get $j) (local.get $nrb)))
            (call $gemm1x8 (local.get $k) (local.get $a)
              (i32.add (local.get $b) (local.get $j)) (local.get $nrb)
              (i32.add (local.get $c) (local.get $j)) (local.get $av))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br $col)))
        (local.set $a (i32.add (local.get $a) (local.get $ldab)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; ---- softmax --------------------------------------------------------

  ;; max(x, n): the largest element (−Inf for none).
  (func (export "max") (param $x i32) (param $n i32) (result f32)
    (local $m v128) (local $left i32)
    (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $m (f32x4.pmax (local.get $m) (v128.load align=4 (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $n)
      (then (local.set $m (f32x4.pmax (local.get $m) (call $load_tail (local.get $x) (local.get $n) (f32.const -inf))))))
    (call $hmax4 (local.get $m)))

  ;; exp_shift_sum(x, n, shift): x[i] = e^(x[i]−shift), returns their sum
  ;; (four partial sums, then the tail in order).
  (func (export "exp_shift_sum") (param $x i32) (param $n i32) (param $shift f32) (result f32)
    (local $sv v128) (local $acc v128) (local $left i32) (local $v v128) (local $s f32) (local $i i32)
    (local.set $sv (f32x4.splat (local.get $shift)))
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $v (call $exp4 (f32x4.sub (v128.load align=4 (local.get $x)) (local.get $sv))))
        (v128.store align=4 (local.get $x) (local.get $v))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l)))
    (local.set $s (call $hsum4 (local.get $acc)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $n)
      (then
        (local.set $v (call $exp4 (f32x4.sub (call $load_tail (local.get $x) (local.get $n) (f32.const 0)) (local.get $sv))))
        (call $store_tail (local.get $x) (local.get $n) (local.get $v))
        (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 0 (local.get $v))))
        (if (i32.gt_u (local.get $n) (i32.const 1))
          (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 1 (local.get $v))))))
        (if (i32.gt_u (local.get $n) (i32.const 2))
          (then (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 2 (local.get $v))))))))
    (local.get $s))

  ;; ---- row kernels ----------------------------------------------------

  ;; relu(x, n): x[i] = 0 where x[i] < 0 (NaN stays NaN).
  (func (export "relu") (param $x i32) (param $n i32)
    (local $left i32) (local $v f32)
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (v128.store align=4 (local.get $x) (f32x4.pmax (v128.load align=4 (local.get $x)) (v128.const f32x4 0 0 0 0)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $v (f32.load (local.get $x)))
        (if (f32.lt (local.get $v) (f32.const 0)) (then (f32.store (local.get $x) (f32.const 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))

  ;; $sum64 is accel's sum64 of x[0:n] as float64 (four partial sums, lanes
  ;; i mod 4, ((s0+s1)+(s2+s3)), then the tail in order), after it
  ;; subtracts mean from every element and squares it when sq is 1.
  (func $sum64 (param $x i32) (param $n i32) (param $mean f64) (param $sq i32) (result f64)
    (local $left i32) (local $v v128) (local $lo v128) (local $hi v128) (local $a01 v128) (local $a23 v128)
    (local $mv v128) (local $s f64) (local $d f64)
    (local.set $mv (f64x2.splat (local.get $mean)))
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $v (v128.load align=4 (local.get $x)))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (if (local.get $sq)
          (then
            (local.set $lo (f64x2.sub (local.get $lo) (local.get $mv)))
            (local.set $hi (f64x2.sub (local.get $hi) (local.get $mv)))
            (local.set $lo (f64x2.mul (local.get $lo) (local.get $lo)))
            (local.set $hi (f64x2.mul (local.get $hi) (local.get $hi)))))
        (local.set $a01 (f64x2.add (local.get $a01) (local.get $lo)))
        (local.set $a23 (f64x2.add (local.get $a23) (local.get $hi)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l)))
    (local.set $s (f64.add
      (f64.add (f64x2.extract_lane 0 (local.get $a01)) (f64x2.extract_lane 1 (local.get $a01)))
      (f64.add (f64x2.extract_lane 0 (local.get $a23)) (f64x2.extract_lane 1 (local.get $a23)))))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $d (f64.promote_f32 (f32.load (local.get $x))))
        (if (local.get $sq)
          (then
            (local.set $d (f64.sub (local.get $d) (local.get $mean)))
            (local.set $d (f64.mul (local.get $d) (local.get $d)))))
        (local.set $s (f64.add (local.get $s) (local.get $d)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))

;; add_layer_norm(dst, x, y, w, b, n, eps): dst = LayerNorm(x+y)·w + b as
  ;; accel.AddLayerNorm's generic code: the sum rounded to float32 in dst,
  ;; mean and variance in float64, then per element
  ;; float32((v−mean)·inv)·w + b. dst may be x or y.
  (func (export "add_layer_norm") (param $dst i32) (param $x i32) (param $y i32) (param $w i32) (param $b i32)
                                  (param $n i32) (param $eps f32)
    (local $o i32) (local $left i32) (local $mean f64) (local $inv f64) (local $nf f64) (local $mv v128) (local $iv v128)
    (local $v v128) (local $lo v128) (local $hi v128) (local $r v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    ;; dst = x + y, in blocks of 4 then one at a time ($o: byte offset)
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (v128.store align=4 (i32.add (local.get $dst) (local.get $o))
          (f32x4.add (v128.load align=4 (i32.add (local.get $x) (local.get $o))) (v128.load align=4 (i32.add (local.get $y) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $l)))
    (local.set $left (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (f32.store (i32.add (local.get $dst) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $y) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $l)))
    (local.set $nf (f64.convert_i32_u (local.get $n)))
    (local.set $mean (f64.div (call $sum64 (local.get $dst) (local.get $n) (f64.const 0) (i32.const 0)) (local.get $nf)))
    (local.set $inv (f64.div (f64.const 1)
      (f64.sqrt (f64.add
        (f64.div (call $sum64 (local.get $dst) (local.get $n) (local.get $mean) (i32.const 1)) (local.get $nf))
        (f64.promote_f32 (local.get $eps))))))
    (local.set $mv (f64x2.splat (local.get $mean)))
    (local.set $iv (f64x2.splat (local.get $inv)))
    (local.set $o (i32.const 0))
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (local.set $v (v128.load align=4 (i32.add (local.get $dst) (local.get $o))))
        (local.set $lo (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mv)) (local.get $iv)))
        (local.set $hi (f64x2.mul (f64x2.sub
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
          (local.get $mv)) (local.get $iv)))
        (local.set $r (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
        (v128.store align=4 (i32.add (local.get $dst) (local.get $o))
          (f32x4.add (f32x4.mul (local.get $r) (v128.load align=4 (i32.add (local.get $w) (local.get $o))))
            (v128.load align=4 (i32.add (local.get $b) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $l)))
    (local.set $left (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (f32.store (i32.add (local.get $dst) (local.get $o))
          (f32.add
            (f32.mul
              (f32.demote_f64 (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $dst) (local.get $o)))) (local.get $mean)) (local.get $inv)))
              (f32.load (i32.add (local.get $w) (local.get $o))))
            (f32.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $l))))

    ;; seg_mean_max(mean, mx, x, seg, segments): each segment's mean (four
  ;; partial sums, then the tail in order, divided by seg) and maximum.
  (func (export "seg_mean_max") (param $mean i32) (param $mx i32) (param $x i32) (param $seg i32) (param $segs i32)
    (local $left i32) (local $tail i32) (local $acc v128) (local $m v128) (local $s f32) (local $t f32) (local $mm f32) (local $v v128)
    (block $segs_done
      (loop $next
        (br_if $segs_done (i32.eqz (local.get $segs)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $m (f32x4.splat (f32.load (local.get $x))))
        (local.set $left (i32.shr_u (local.get $seg) (i32.const 2))) ;; blocks of 4
        (block $done
          (loop $l
            (br_if $done (i32.eqz (local.get $left)))
            (local.set $left (i32.sub (local.get $left) (i32.const 1)))
            (local.set $v (v128.load align=4 (local.get $x)))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $v)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $l)))
        (local.set $s (call $hsum4 (local.get $acc)))
        (local.set $mm (call $hmax4 (local.get $m)))
        (local.set $tail (i32.and (local.get $seg) (i32.const 3)))
        (block $done
          (loop $l
            (br_if $done (i32.eqz (local.get $tail)))
            (local.set $t (f32.load (local.get $x)))
            (local.set $s (f32.add (local.get $s) (local.get $t)))
            (if (f32.gt (local.get $t) (local.get $mm)) (then (local.set $mm (local.get $t))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $tail (i32.sub (local.get $tail) (i32.const 1)))
            (br $l)))
        (f32.store (local.get $mean) (f32.div (local.get $s) (f32.convert_i32_u (local.get $seg))))
        (f32.store (local.get $mx) (local.get $mm))
        (local.set $mean (i32.add (local.get $mean) (i32.const 4)))
        (local.set $mx (i32.add (local.get $mx) (i32.const 4)))
        (local.set $segs (i32.sub (local.get $segs) (i32.const 1)))
        (br $next))))

  ;; weighted_max4(dst, u, stride, a, n): dst[j] = the largest of
  ;; a[c]·u[c·stride+j] over four channels c, compared in order.
  (func (export "weighted_max4") (param $dst i32) (param $u i32) (param $stride i32) (param $a i32) (param $n i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sb i32) (local $left i32) (local $v v128) (local $k i32)
    (local.set $a0 (v128.load32_splat (local.get $a)))
    (local.set $a1 (v128.load32_splat offset=4 (local.get $a)))
    (local.set $a2 (v128.load32_splat offset=8 (local.get $a)))
    (local.set $a3 (v128.load32_splat offset=12 (local.get $a)))
    (local.set $sb (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (v128.store align=4 (local.get $dst) (call $wmax4 (local.get $u) (local.get $sb)
          (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (br $l)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $n)
      (then (call $store_tail (local.get $dst) (local.get $n)
        (call $wmax4 (local.get $u) (local.get $sb) (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3) (local.get $n))))))

  ;; $wmax4 is weighted_max4 for the n (1..4) columns at u.
  (func $wmax4 (param $u i32) (param $sb i32) (param $a0 v128) (param $a1 v128) (param $a2 v128) (param $a3 v128) (param $n i32)
                (result v128)
    (local $v v128)
    (local.set $v (f32x4.mul (local.get $a0) (call $loadn (local.get $u) (local.get $n))))
    (local.set $u (i32.add (local.get $u) (local.get $sb)))
    (local.set $v (f32x4.pmax (local.get $v) (f32x4.mul (local.get $a1) (call $loadn (local.get $u) (local.get $n)))))
    (local.set $u (i32.add (local.get $u) (local.get $sb)))
    (local.set $v (f32x4.pmax (local.get $v) (f32x4.mul (local.get $a2) (call $loadn (local.get $u) (local.get $n)))))
    (local.set $u (i32.add (local.get $u) (local.get $sb)))
    (f32x4.pmax (local.get $v) (f32x4.mul (local.get $a3) (call $loadn (local.get $u) (local.get $n)))))

  ;; $loadn loads 4 floats at p, or the n < 4 there (zeros after).
  (func $loadn (param $p i32) (param $n i32) (result v128)
    (if (result v128) (i32.eq (local.get $n) (i32.const 4))
      (then (v128.load align=4 (local.get $p)))
      (else (call $load_tail (local.get $p) (local.get $n) (f32.const 0)))))

  ;; ---- recurrent gates ------------------------------------------------

  ;; gru_gates(h, gi, gh, hidden, rows): accel.GRUGates for rows rows:
  ;;   r = σ(gi_r+gh_r); z = σ(gi_z+gh_z); n = tanh(gi_n + r·gh_n)
  ;;   h = (1−z)·n + z·h
  (func (export "gru_gates") (param $h i32) (param $gi i32) (param $gh i32) (param $hidden i32) (param $rows i32)
    (local $j i32) (local $hb i32) (local $cnt i32)
    (local.set $hb (i32.shl (local.get $hidden) (i32.const 2)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $j) (local.get $hidden)))
            (local.set $cnt (i32.sub (local.get $hidden) (local.get $j)))
            (if (i32.gt_u (local.get $cnt) (i32.const 4)) (then (local.set $cnt (i32.const 4))))
            (call $gru4 (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 2)))
              (i32.add (local.get $gi) (i32.shl (local.get $j) (i32.const 2)))
              (i32.add (local.get $gh) (i32.shl (local.get $j) (i32.const 2)))
              (local.get $hb) (local.get $cnt))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $l)))
        (local.set $h (i32.add (local.get $h) (local.get $hb)))
        (local.set $gi (i32.add (local.get $gi) (i32.mul (local.get $hb) (i32.const 3))))
        (local.set $gh (i32.add (local.get $gh) (i32.mul (local.get $hb) (i32.const 3))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; $gru4 is gru_gates for n (1..4) hidden units; gate g of a unit is
  ;; hb bytes after gate g−1.
  (func $gru4 (param $h i32) (param $gi i32) (param $gh i32) (param $hb i32) (param $n i32)
    (local $r v128) (local $z v128) (local $nn v128) (local $hv v128)
    (local.set $r (call $sigmoid4 (f32x4.add (call $loadn (local.get $gi) (local.get $n)) (call $loadn (local.get $gh) (local.get $n)))))
    (local.set $gi (i32.add (local.get $gi) (local.get $hb)))
    (local.set $gh (i32.add (local.get $gh) (local.get $hb)))
    (local.set $z (call $sigmoid4 (f32x4.add (call $loadn (local.get $gi) (local.get $n)) (call $loadn (local.get $gh) (local.get $n)))))
    (local.set $gi (i32.add (local.get $gi) (local.get $hb)))
    (local.set $gh (i32.add (local.get $gh) (local.get $hb)))
    (local.set $nn (call $tanh4 (f32x4.add (call $loadn (local.get $gi) (local.get $n))
      (f32x4.mul (local.get $r) (call $loadn (local.get $gh) (local.get $n))))))
    (local.set $hv (f32x4.add
      (f32x4.mul (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $z)) (local.get $nn))
      (f32x4.mul (local.get $z) (call $loadn (local.get $h) (local.get $n)))))
    (call $storen (local.get $h) (local.get $n) (local.get $hv)))

  ;; $storen stores 4 lanes at p, or the low n < 4.
  (func $storen (param $p i32) (param $n i32) (param $v v128)
    (if (i32.eq (local.get $n) (i32.const 4))
      (then (v128.store align=4 (local.get $p) (local.get $v)))
      (else (call $store_tail (local.get $p) (local.get $n) (local.get $v)))))

  ;; lstm_gates(h, c, g, hidden, rows): accel.LSTMGates for rows rows:
  ;;   i = σ(g_i); f = σ(g_f); g̃ = tanh(g_g); o = σ(g_o)
  ;;   c = f·c + i·g̃; h = o·tanh(c)
  (func (export "lstm_gates") (param $h i32) (param $c i32) (param $g i32) (param $hidden i32) (param $rows i32)
    (local $j i32) (local $hb i32) (local $cnt i32)
    (local.set $hb (i32.shl (local.get $hidden) (i32.const 2)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $j) (local.get $hidden)))
            (local.set $cnt (i32.sub (local.get $hidden) (local.get $j)))
            (if (i32.gt_u (local.get $cnt) (i32.const 4)) (then (local.set $cnt (i32.const 4))))
            (call $lstm4 (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 2)))
              (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))
              (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2)))
              (local.get $hb) (local.get $cnt))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $l)))
        (local.set $h (i32.add (local.get $h) (local.get $hb)))
        (local.set $c (i32.add (local.get $c) (local.get $hb)))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $hb) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; $lstm4 is lstm_gates for n (1..4) hidden units.
  (func $lstm4 (param $h i32) (param $c i32) (param $g i32) (param $hb i32) (param $n i32)
    (local $i v128) (local $f v128) (local $gg v128) (local $o v128) (local $cv v128)
    (local.set $i (call $sigmoid4 (call $loadn (local.get $g) (local.get $n))))
    (local.set $g (i32.add (local.get $g) (local.get $hb)))
    (local.set $f (call $sigmoid4 (call $loadn (local.get $g) (local.get $n))))
    (local.set $g (i32.add (local.get $g) (local.get $hb)))
    (local.set $gg (call $tanh4 (call $loadn (local.get $g) (local.get $n))))
    (local.set $g (i32.add (local.get $g) (local.get $hb)))
    (local.set $o (call $sigmoid4 (call $loadn (local.get $g) (local.get $n))))
    (local.set $cv (f32x4.add
      (f32x4.mul (local.get $f) (call $loadn (local.get $c) (local.get $n)))
      (f32x4.mul (local.get $i) (local.get $gg))))
    (call $storen (local.get $c) (local.get $n) (local.get $cv))
    (call $storen (local.get $h) (local.get $n) (f32x4.mul (local.get $o) (call $tanh4 (local.get $cv)))))

  ;; ---- dequantisation -------------------------------------------------

  ;; dequant_f16(dst, src, n): dst[i] = the binary16 src[i] as float32,
  ;; exactly: the exponent and mantissa shifted into place and scaled by
  ;; 2^112 (normals and subnormals alike), Inf and NaN given the top
  ;; exponent, then the sign.
  (func (export "dequant_f16") (param $dst i32) (param $src i32) (param $n i32)
    (local $left i32) (local $v v128)
    (local.set $left (i32.shr_u (local.get $n) (i32.const 2))) ;; blocks of 4
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (v128.store align=4 (local.get $dst) (call $f16x4 (v128.load16x4_u align=2 (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $l)))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (f32.store (local.get $dst) (f32x4.extract_lane 0 (call $f16x4 (i32x4.splat (i32.load16_u (local.get $src))))))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))

  ;; $f16x4 converts four binary16 values (in the low halves of i32 lanes).
  (func $f16x4 (param $h v128) (result v128)
    (local $em v128) (local $f v128)
    (local.set $em (v128.and (local.get $h) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
    (local.set $f (f32x4.mul (i32x4.shl (local.get $em) (i32.const 13)) (v128.const i32x4 0x77800000 0x77800000 0x77800000 0x77800000)))
    (local.set $f (v128.bitselect
      (v128.or (i32x4.shl (local.get $em) (i32.const 13)) (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
      (local.get $f)
      (i32x4.ge_u (local.get $em) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
    (v128.or (local.get $f) (i32x4.shl (v128.and (local.get $h) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))))

  ;; dequant_int8(dst, src, scales, rows, cols): dst[r·cols+j] =
  ;; scales[j]·src[r·cols+j] (int8), one rounding.
  (func (export "dequant_int8") (param $dst i32) (param $src i32) (param $scales i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $s i32)
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (local.set $s (local.get $scales))
        (block $done
          (loop $l
            (br_if $done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
            (v128.store align=4 (local.get $dst)
              (f32x4.mul (v128.load align=4 (local.get $s))
                (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s
                  (v128.load32_zero align=1 (local.get $src)))))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $s (i32.add (local.get $s) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $l)))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $j) (local.get $cols)))
            (f32.store (local.get $dst) (f32.mul (f32.load (local.get $s)) (f32.convert_i32_s (i32.load8_s (local.get $src)))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $src (i32.add (local.get $src) (i32.const 1)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $l)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
)
