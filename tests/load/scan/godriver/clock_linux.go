package main

import (
	"syscall"
	"time"
	"unsafe"
)

// The bench and the Python driver time everything with Python's time.monotonic(), which is
// CLOCK_MONOTONIC on Linux; so is the Go runtime's monotonic clock. One clock_gettime at
// start-up pins the offset, then mono() is that plus time.Since (the vDSO, no syscall), so
// stop_at, settle_until and every job's times are comparable across the run's processes.

const clockMonotonic = 1 // CLOCK_MONOTONIC

var (
	monoT0   time.Time
	monoBase float64
)

func init() {
	var ts syscall.Timespec
	before := time.Now()
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic,
		uintptr(unsafe.Pointer(&ts)), 0)
	after := time.Now()
	if errno != 0 {
		panic("clock_gettime(CLOCK_MONOTONIC): " + errno.Error())
	}
	monoT0 = before.Add(after.Sub(before) / 2)
	monoBase = float64(ts.Sec) + float64(ts.Nsec)/1e9
}

// mono is CLOCK_MONOTONIC in seconds: Python's time.monotonic().
func mono() float64 {
	return monoBase + time.Since(monoT0).Seconds()
}

// openFiles is the soft RLIMIT_NOFILE (what the Python driver reports).
func openFiles() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return lim.Cur
}
