package host

import "errors"

var (
	// ErrTrap is returned when the guest trapped (an unrecovered panic, a
	// runtime fault) or exited during a call. The instance is discarded
	// and replaced; the host keeps serving.
	ErrTrap = errors.New("host: the guest trapped; its instance was replaced")
	// ErrStopped is returned (with the context's error) when a call's
	// context ended while the guest ran, in interruptible mode. The
	// instance is discarded and replaced.
	ErrStopped = errors.New("host: the call was stopped")
	// ErrMemoryLimit is returned when a request cannot fit in the guest's
	// memory limit (Config.WithMemoryLimitPages), or the guest ran out of
	// memory serving it.
	ErrMemoryLimit = errors.New("host: over the guest's memory limit")
	// ErrAnswer is returned when the guest's answer is malformed or lies
	// outside its memory. The instance is discarded.
	ErrAnswer = errors.New("host: malformed answer from the guest")
	// ErrStreamLost is returned by a stream whose instance was replaced
	// (after a trap or a stopped call); open a new stream.
	ErrStreamLost = errors.New("host: the stream's instance was replaced")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("host: closed")
	// ErrGuest is returned when the module is not a Portolan guest of this
	// ABI version.
	ErrGuest = errors.New("host: not a Portolan guest of this ABI version")
)
