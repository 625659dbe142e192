package main

import (
	"encoding/json"
	"flag"
	"os"
)

// cmdOPAData writes the OPA data document for opa/policy.rego: the JWKS (as the string
// io.jwt.decode_verify takes) and the revoked jti/sid sets of the same run.
func cmdOPAData(args []string) error {
	fs := flag.NewFlagSet("opadata", flag.ExitOnError)
	jwks := fs.String("jwks", "", "jwks.json from gen")
	revoked := fs.String("revoked", "", "revoked.json from gen")
	out := fs.String("out", "", "output")
	_ = fs.Parse(args)
	j, err := os.ReadFile(*jwks)
	if err != nil {
		return err
	}
	r, err := os.ReadFile(*revoked)
	if err != nil {
		return err
	}
	var entries []revEntry
	if err := json.Unmarshal(r, &entries); err != nil {
		return err
	}
	set := map[string]map[string]bool{"jti": {}, "sid": {}}
	for _, e := range entries {
		set[e.Kind][e.Value] = true
	}
	return writeJSON(*out, map[string]any{"eco2": map[string]any{"jwks": string(j), "revoked": set}})
}
