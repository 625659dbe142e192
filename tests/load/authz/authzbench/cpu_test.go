package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeMachine burns CPU as time passes: the server 0.9 s and the driver 0.1 s per second.
type fakeMachine struct {
	server, client float64
	counting       bool
	countedCPU     float64 // server CPU burnt while checks were being counted
}

func (m *fakeMachine) sleep(d time.Duration) {
	m.server += 0.9 * d.Seconds()
	m.client += 0.1 * d.Seconds()
	if m.counting {
		m.countedCPU += 0.9 * d.Seconds()
	}
}

func (m *fakeMachine) clock() (float64, float64, error) { return m.server, m.client, nil }

func TestWindowCPUCoversOnlyTheCountedInterval(t *testing.T) {
	m := &fakeMachine{server: 50, client: 2} // CPU used before the run: not ours either
	span, _, err := measureWindow(3*time.Second, 8*time.Second, m.sleep, m.clock,
		func(on bool) { m.counting = on })
	if err != nil {
		t.Fatal(err)
	}
	if !approx(span.Server, m.countedCPU) || !approx(span.Server, 7.2) {
		t.Fatalf("server CPU %.2f s, want the 8 s window's 7.20 s (not the warm-up's too)", span.Server)
	}
	if !approx(span.Client, 0.8) {
		t.Fatalf("driver CPU %.2f s, want 0.80 s", span.Client)
	}
	if m.counting {
		t.Fatal("counting still on after the window")
	}
}

func TestStatCPUSumsUserAndSystemAfterTheCommandName(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	stat := "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 12 0\n"
	got, err := statCPU(stat, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !approx(got, 3.0) { // (250 + 50) ticks, not the children's 7 + 3
		t.Fatalf("got %.2f s, want 3.00", got)
	}
	if _, err := statCPU("4242 (x) S 1", 100); err == nil {
		t.Fatal("a short stat line must be an error")
	}
}

func TestProcCPUReadsThisProcess(t *testing.T) {
	server, client, err := procCPU(os.Getpid(), 100)()
	if err != nil || server < 0 || client <= 0 {
		t.Fatalf("server %.3f client %.3f err %v", server, client, err)
	}
}

func TestWriteCPUWhereTheReportReadsIt(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "lean-max")
	if err := writeCPU(prefix, cpuSpan{Server: 7.2, Client: 0.8}); err != nil {
		t.Fatal(err)
	}
	for suffix, want := range map[string]string{".srvcpu": "7.20", ".clicpu": "0.80"} {
		b, err := os.ReadFile(prefix + suffix)
		if err != nil || string(b) != want {
			t.Fatalf("%s: %q %v, want %q", suffix, b, err, want)
		}
	}
}

func approx(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
