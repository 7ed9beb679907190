// Command hoptrace answers "the user paid: why did they never get their red packet?" from order-service logs,
// red-packet-service logs and RocketMQ message traces. See README.md.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

func main() {
	// HOPTRACE_CPUPROFILE=FILE writes a CPU profile of the run (for `go tool pprof`); a developer aid, documented
	// in README.md ("Developing").
	if p := os.Getenv("HOPTRACE_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Error: HOPTRACE_CPUPROFILE: %v\n", err)
			os.Exit(exitUsage)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "Error: HOPTRACE_CPUPROFILE: %v\n", err)
			os.Exit(exitUsage)
		}
		code := Main(os.Args[1:], newEnv())
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(Main(os.Args[1:], newEnv()))
}
