// Command rmqlab runs the hoptrace RocketMQ lab: against a real name server and broker (lab/rocketmq.sh) it plays
// the order service (a real producer, tracing on) and the red-packet service (a real push consumer in a child
// process, tracing on), makes each loss scenario happen for real, and writes the two services' logs in the
// built-in formats (fixtures/FORMATS.md) plus truth.csv, laid out like `hoptrace gen`:
//
//	OUT/logs/order-service/order-1.log
//	OUT/logs/redpacket-service/redpacket-1.json.log
//	OUT/truth.csv            order_id,verdict,missing_hop,scenario
//	OUT/lab-report.json      timings, broker facts and what each scenario really did
//
// Usage:
//
//	go run ./lab/cmd/rmqlab -out DIR                 start a lab under DIR/broker, run, stop it
//	go run ./lab/cmd/rmqlab -out DIR -lab LABDIR     use a lab started with lab/rocketmq.sh start LABDIR (left running)
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "consumer" {
		if err := runConsumer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "rmqlab:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rmqlab:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("rmqlab", flag.ContinueOnError)
	out := fs.String("out", "", "output directory (logs/, truth.csv)")
	labDir := fs.String("lab", "", "directory of a running lab (lab/rocketmq.sh start DIR); default: start one under OUT/broker and stop it at the end")
	script := fs.String("script", "", "path of lab/rocketmq.sh (default: found from the working directory)")
	capture := fs.String("capture", "", "write captured remoting frames and broker files into this directory (for ingest/rocketmq/testdata)")
	scale := fs.Int("orders", 4, "healthy orders per healthy step")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out DIR is required")
	}
	if *script == "" {
		s, err := findScript()
		if err != nil {
			return err
		}
		*script = s
	}
	outAbs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	l := &lab{out: outAbs, script: *script, capture: *capture, healthy: *scale}
	own := *labDir == ""
	if own {
		l.labDir = filepath.Join(outAbs, "broker")
	} else {
		l.labDir, _ = filepath.Abs(*labDir)
	}
	// Stop what we started, whatever happens (also on ^C).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		l.cleanup(own)
		os.Exit(130)
	}()
	defer l.cleanup(own)
	return l.run(own)
}

func findScript() (string, error) {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "lab", "rocketmq.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("lab/rocketmq.sh not found: run from the repository or pass -script")
		}
		dir = parent
	}
}
