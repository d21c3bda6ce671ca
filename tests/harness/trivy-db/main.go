// Command trivy-db writes a small Trivy vulnerability database (schema version 2) for tests that run
// trivy offline: db/trivy.db, a bbolt file with the buckets trivy reads, and db/metadata.json.
//
// Usage: trivy-db SPEC.json CACHE_DIR
//
// SPEC.json:
//
//	{"dataSources":     {BUCKET: {"ID": "ghsa", "Name": "...", "URL": "..."}},
//	 "advisories":      {BUCKET: {PACKAGE: {VULN_ID: {"VulnerableVersions": [...], "PatchedVersions": [...]}}}},
//	 "vulnerabilities": {VULN_ID: {"Title": "...", "Severity": "CRITICAL", "VendorSeverity": {"ghsa": 4}}},
//	 "updatedAt": "2026-01-01T00:00:00Z"}
//
// A language bucket is named ECOSYSTEM::DATA SOURCE NAME (pip::GitHub Security Advisory pip), as
// trivy-db names them; trivy looks advisories up by the ecosystem's prefix and the package's name.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

type spec struct {
	DataSources     map[string]json.RawMessage                       `json:"dataSources"`
	Advisories      map[string]map[string]map[string]json.RawMessage `json:"advisories"`
	Vulnerabilities map[string]json.RawMessage                       `json:"vulnerabilities"`
	UpdatedAt       time.Time                                        `json:"updatedAt"`
}

type metadata struct {
	Version      int
	NextUpdate   time.Time
	UpdatedAt    time.Time
	DownloadedAt time.Time
}

func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func compact(raw json.RawMessage) ([]byte, error) {
	var v interface{}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func put(b *bolt.Bucket, key string, raw json.RawMessage) error {
	value, err := compact(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return b.Put([]byte(key), value)
}

func run(specPath, cacheDir string) error {
	text, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var s spec
	if err := json.Unmarshal(text, &s); err != nil {
		return fmt.Errorf("%s: %w", specPath, err)
	}
	dir := filepath.Join(cacheDir, "db")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "trivy.db")
	_ = os.Remove(path)
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		sources, err := tx.CreateBucketIfNotExists([]byte("data-source"))
		if err != nil {
			return err
		}
		for _, name := range sorted(s.DataSources) {
			if err := put(sources, name, s.DataSources[name]); err != nil {
				return err
			}
		}
		for _, name := range sorted(s.Advisories) {
			top, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			packages := s.Advisories[name]
			for _, pkg := range sorted(packages) {
				b, err := top.CreateBucketIfNotExists([]byte(pkg))
				if err != nil {
					return err
				}
				for _, id := range sorted(packages[pkg]) {
					if err := put(b, id, packages[pkg][id]); err != nil {
						return err
					}
				}
			}
		}
		vulns, err := tx.CreateBucketIfNotExists([]byte("vulnerability"))
		if err != nil {
			return err
		}
		for _, id := range sorted(s.Vulnerabilities) {
			if err := put(vulns, id, s.Vulnerabilities[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	meta, err := json.Marshal(metadata{
		Version:      2,
		NextUpdate:   s.UpdatedAt.Add(24 * time.Hour),
		UpdatedAt:    s.UpdatedAt,
		DownloadedAt: s.UpdatedAt,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "metadata.json"), meta, 0o644)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: trivy-db SPEC.json CACHE_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "trivy-db:", err)
		os.Exit(1)
	}
}
