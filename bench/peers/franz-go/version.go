package main

import "runtime/debug"

// kgoVersion reports the franz-go module version this binary was built with.
func kgoVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/twmb/franz-go" {
				return d.Version
			}
		}
	}
	return "unknown"
}
