// Command validate checks generated Kubernetes/Knative manifests against the
// upstream Knative API types and their webhook defaulting/validation code.
//
// Usage:
//
//	validate [-dir DIR]... [-skip-dir NAME]... [FILE_OR_DIR]...
//
// It prints one "OK file#doc kind/name" or "FAIL file#doc kind/name: error"
// line per YAML document, then "N passed, M failed", and exits 1 if any
// document failed (2 on usage errors or when nothing was found).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"eco2/knative/validate/internal/check"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dirs, skipDirs, features, kustomizations, extSecrets, extServices listFlag
	fs.Var(&dirs, "dir", "file or directory to validate (repeatable; positional arguments work too)")
	fs.Var(&skipDirs, "skip-dir", "directory base name not to descend into, e.g. overlays (repeatable)")
	fs.Var(&features, "feature", "eventing config-features override KEY=VALUE, e.g. cross-namespace-event-links=enabled (repeatable)")
	fs.Var(&kustomizations, "kustomize", "kustomization directory to render (kustomize build) and validate as one set (repeatable)")
	fs.Var(&extSecrets, "external-secret", "NAMESPACE/NAME of a Secret made outside the manifests (repeatable)")
	fs.Var(&extServices, "external-service", "NAME.NAMESPACE:PORT of a Service installed outside the manifests (repeatable)")
	namespace := fs.String("namespace", "default", "namespace for namespaced objects without metadata.namespace (like kubectl's current namespace)")
	policy := fs.Bool("policy", true, "check the cluster's rules across each set: node pools, KEDA targets, references (ADR 0017)")
	allowEmpty := fs.Bool("allow-empty", false, "exit 0 when no YAML documents are found")
	listKinds := fs.Bool("list-kinds", false, "print the supported apiVersion/kind pairs and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: validate [flags] [FILE_OR_DIR]...\n\n")
		fs.PrintDefaults()
	}
	// Allow flags after positional arguments (validate knative -skip-dir overlays).
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *listKinds {
		for _, k := range check.SupportedKinds() {
			fmt.Fprintln(stdout, k)
		}
		return 0
	}

	featureMap := map[string]string{}
	for _, f := range features {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "validate: -feature wants KEY=VALUE, got %q\n", f)
			return 2
		}
		featureMap[k] = v
	}

	paths := append(append([]string{}, dirs...), positional...)
	if len(paths) == 0 && len(kustomizations) == 0 {
		fs.Usage()
		return 2
	}
	// Each set is validated on its own: the plain paths together, each render apart.
	var sets [][]check.Document
	failed := 0
	if len(paths) > 0 {
		files, err := check.CollectFiles(paths, skipDirs)
		if err != nil {
			fmt.Fprintf(stderr, "validate: %v\n", err)
			return 2
		}
		var docs []check.Document
		for _, f := range files {
			d, err := check.ReadFile(f)
			docs = append(docs, d...)
			if err != nil {
				// The stream could not be split: report the file itself.
				fmt.Fprintf(stdout, "FAIL %s: %v\n", f, err)
				failed++
			}
		}
		sets = append(sets, docs)
	}
	for _, k := range kustomizations {
		docs, err := check.Render(k)
		if err != nil {
			fmt.Fprintf(stdout, "FAIL %s: %v\n", k, err)
			failed++
			continue
		}
		sets = append(sets, docs)
	}
	total := 0
	for _, s := range sets {
		total += len(s)
	}
	if total == 0 && failed == 0 {
		fmt.Fprintln(stdout, "0 passed, 0 failed")
		if *allowEmpty {
			return 0
		}
		fmt.Fprintf(stderr, "validate: no YAML documents found under %s\n", strings.Join(paths, ", "))
		return 2
	}

	ext := check.External{Secrets: map[string]bool{}, Services: map[string]bool{}}
	for _, s := range extSecrets {
		ext.Secrets[s] = true
	}
	for _, s := range extServices {
		ext.Services[s] = true
	}
	v := check.New(check.Options{DefaultNamespace: *namespace, EventingFeatures: featureMap, External: ext, Policy: *policy})
	passed := 0
	var results []check.Result
	for _, docs := range sets {
		results = append(results, v.Validate(docs)...)
	}
	for _, r := range results {
		fmt.Fprintln(stdout, r.String())
		for _, w := range r.Warnings {
			fmt.Fprintf(stdout, "WARN %s %s: %s\n", r.Doc.Ref(), r.Doc.KindName(), w)
		}
		if r.OK() {
			passed++
		} else {
			failed++
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
