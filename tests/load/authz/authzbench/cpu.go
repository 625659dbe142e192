package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSpan is the CPU seconds the server and this load generator used over the measured
// window: the interval the checks are counted in, so CPU per check divides like by like.
type cpuSpan struct {
	Server, Client float64
}

// cpuClock reads the cumulative CPU seconds of the server and of this process.
type cpuClock func() (server, client float64, err error)

// measureWindow sleeps through the unmeasured warm-up, then turns counting on for `dur`,
// reading the CPU clock at the moment counting starts and again when it stops. (Sampling the
// server before the warm-up, as run.sh did, billed the warm-up's CPU to the window's checks:
// x1.4 per check for a 3 s warm-up before an 8 s window.)
func measureWindow(warm, dur time.Duration, sleep func(time.Duration), clock cpuClock,
	counting func(bool)) (cpuSpan, time.Duration, error) {
	sleep(warm)
	s0, c0, err := clock()
	if err != nil {
		return cpuSpan{}, 0, err
	}
	counting(true)
	start := time.Now()
	sleep(dur)
	counting(false)
	elapsed := time.Since(start)
	s1, c1, err := clock()
	if err != nil {
		return cpuSpan{}, 0, err
	}
	return cpuSpan{Server: s1 - s0, Client: c1 - c0}, elapsed, nil
}

// statCPU reads utime + stime (all threads) from the text of /proc/<pid>/stat, in seconds.
// The command name may hold spaces and parentheses: fields are counted after the last ')'.
func statCPU(stat string, ticksPerSecond float64) (float64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("no command name in stat")
	}
	fields := strings.Fields(stat[end+1:])
	// fields[0] is the state (field 3 of stat); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, errors.New("short stat")
	}
	var ticks float64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		ticks += float64(n)
	}
	return ticks / ticksPerSecond, nil
}

// procCPU is a cpuClock for a server process (by pid; 0 = none) and this process.
func procCPU(pid int, ticksPerSecond float64) cpuClock {
	return func() (float64, float64, error) {
		var server float64
		if pid > 0 {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				return 0, 0, err
			}
			if server, err = statCPU(string(b), ticksPerSecond); err != nil {
				return 0, 0, err
			}
		}
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, 0, err
		}
		client := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		return server, client, nil
	}
}

// writeCPU leaves the window's CPU seconds where run.sh's report step reads them.
func writeCPU(prefix string, span cpuSpan) error {
	if err := os.WriteFile(prefix+".srvcpu", fmt.Appendf(nil, "%.2f", span.Server), 0o644); err != nil {
		return err
	}
	return os.WriteFile(prefix+".clicpu", fmt.Appendf(nil, "%.2f", span.Client), 0o644)
}
