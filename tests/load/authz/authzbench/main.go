// Command authzbench is the driver of the authz benchmarks (tests/load/authz/run.sh): it makes
// the token mix and the ghz inputs, serves the JWKS, seeds Redis, reports ghz results, and
// measures revocation propagation across replicas. It talks to loopback addresses only.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmds := map[string]func([]string) error{
		"gen":       cmdGen,
		"jwks":      cmdJWKS,
		"seed":      cmdSeed,
		"unseed":    cmdUnseed,
		"freeports": cmdFreePorts,
		"report":    cmdReport,
		"metrics":   cmdMetrics,
		"propagate": cmdPropagate,
		"waitready": cmdWaitReady,
		"opadata":   cmdOPAData,
		"grpcload":  cmdGRPCLoad,
	}
	f, ok := cmds[os.Args[1]]
	if !ok {
		usage()
	}
	if err := f(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "authzbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: authzbench gen|jwks|seed|unseed|freeports|report|metrics|propagate|waitready [flags]")
	os.Exit(2)
}
