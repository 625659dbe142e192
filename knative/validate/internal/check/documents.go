package check

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Document is one YAML document of a manifest file, converted to JSON.
type Document struct {
	// File is the path the document was read from.
	File string
	// Index is the 0-based position of the document among the non-empty
	// documents of File.
	Index int
	// JSON is the document converted to JSON (nil when Err is set).
	JSON []byte

	APIVersion string
	Kind       string
	Name       string
	Namespace  string

	// Err is set when the document could not even be parsed as YAML.
	Err error
}

// Ref is "file#index".
func (d Document) Ref() string { return fmt.Sprintf("%s#%d", d.File, d.Index) }

// KindName is "kind/name" with placeholders for missing parts.
func (d Document) KindName() string {
	kind, name := d.Kind, d.Name
	if kind == "" {
		kind = "<no kind>"
	}
	if name == "" {
		name = "<no name>"
	}
	return kind + "/" + name
}

// CollectFiles expands the given files and directories into a sorted list of
// *.yaml / *.yml files. Directories whose base name is in skipDirs are not
// descended into. Files named explicitly are always included, whatever their
// extension.
func CollectFiles(paths []string, skipDirs []string) ([]string, error) {
	skip := map[string]bool{}
	for _, d := range skipDirs {
		if d != "" {
			skip[d] = true
		}
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			add(root)
			continue
		}
		var found []string
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && skip[d.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Name() == "kustomization.yaml" || d.Name() == "kustomization.yml" {
				return nil // kustomize's own file, not a cluster object (see -kustomize)
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext == ".yaml" || ext == ".yml" {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		for _, p := range found {
			add(p)
		}
	}
	return out, nil
}

// ReadFile reads and splits one manifest file.
func ReadFile(path string) ([]Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return SplitDocuments(path, data)
}

// SplitDocuments splits multi-document YAML ("---" separated) and converts
// each non-empty document to JSON. Documents that are empty or only comments
// are skipped (and not counted). A document that is not valid YAML, or that
// repeats a key, gets Err set; an error is returned only if the stream itself
// cannot be split.
func SplitDocuments(file string, data []byte) ([]Document, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []Document
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return docs, fmt.Errorf("%s: splitting YAML: %w", file, err)
		}
		if isBlank(raw) {
			continue
		}
		doc := Document{File: file, Index: len(docs)}
		// YAMLToJSONStrict rejects duplicate keys, which plain YAML parsing
		// would silently resolve to the last value.
		js, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			doc.Err = fmt.Errorf("invalid YAML: %w", err)
			docs = append(docs, doc)
			continue
		}
		if t := bytes.TrimSpace(js); bytes.Equal(t, []byte("null")) || len(t) == 0 {
			continue
		}
		doc.JSON = js
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		// Lenient peek: the strict decode into the real type comes later.
		if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &head); err != nil {
			var obj map[string]any
			if kjson.UnmarshalCaseSensitivePreserveInts(js, &obj) != nil {
				doc.Err = fmt.Errorf("document is not a YAML mapping")
			} else {
				if s, ok := obj["apiVersion"].(string); ok {
					doc.APIVersion = s
				}
				if s, ok := obj["kind"].(string); ok {
					doc.Kind = s
				}
				if md, ok := obj["metadata"].(map[string]any); ok {
					if s, ok := md["name"].(string); ok {
						doc.Name = s
					} else if md["name"] != nil {
						// e.g. "name: no" is a YAML 1.1 boolean
						doc.Name = fmt.Sprintf("%v", md["name"])
					}
				}
			}
		} else {
			doc.APIVersion = head.APIVersion
			doc.Kind = head.Kind
			doc.Name = head.Metadata.Name
			doc.Namespace = head.Metadata.Namespace
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// isBlank reports whether a YAML document contains only whitespace, comments
// and document markers.
func isBlank(raw []byte) bool {
	for _, line := range strings.Split(string(raw), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || t == "---" || t == "..." {
			continue
		}
		return false
	}
	return true
}
