package host

import (
	"runtime"
	"time"
)

// Config holds a host's settings. It is immutable: With* methods return a
// changed copy.
type Config struct {
	instances     int
	memoryPages   uint32
	cacheDir      string
	interruptible bool
	callTimeout   time.Duration
	kernels       Kernels
}

// DefaultMemoryPages is the default memory limit of an instance: 4096
// pages of 64 KiB, 256 MiB.
const DefaultMemoryPages = 4096

// NewConfig returns the defaults: one instance per GOMAXPROCS, 256 MiB of
// memory per instance, no compilation cache directory (compiled code is
// cached in memory for the host's life), interruptible calls, no
// timeout beyond the caller's context and the host's native kernels
// (NativeKernels).
func NewConfig() Config {
	return Config{instances: runtime.GOMAXPROCS(0), memoryPages: DefaultMemoryPages, interruptible: true}
}

// WithInstances sets how many guest instances serve concurrent calls
// (default GOMAXPROCS). Each holds its own copy of every model it has
// served, so memory grows with it. Instances start on first use.
func (c Config) WithInstances(n int) Config { c.instances = n; return c }

// WithMemoryLimitPages sets the largest linear memory of an instance, in
// 64 KiB pages (default DefaultMemoryPages, at most 65536). A call that
// would need more fails with ErrMemoryLimit, and the instance is replaced.
func (c Config) WithMemoryLimitPages(pages uint32) Config { c.memoryPages = pages; return c }

// WithCompilationCache sets a directory where compiled guest code is kept
// between processes, so that a later New skips most of the compilation
// (RATIONALE.md has the figures). The default is none.
func (c Config) WithCompilationCache(dir string) Config { c.cacheDir = dir; return c }

// WithInterruptible chooses whether a call's context can stop a running
// guest (default true). Interruptible calls return when their context is
// done, however long the guest would run, at a cost in speed (the guest
// checks for it at every loop and call; docs/BENCHMARKS.md). With false
// the guest runs at full speed and a context is only checked between
// calls: use it only for trusted bundles and inputs.
func (c Config) WithInterruptible(on bool) Config { c.interruptible = on; return c }

// WithCallTimeout bounds every call to the guest (default 0: only the
// caller's context bounds it). It applies in interruptible mode.
func (c Config) WithCallTimeout(d time.Duration) Config { c.callTimeout = d; return c }
