package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// Exit codes, documented in README.md.
const (
	exitOK     = 0 // success, or broken orders found without --fail-on-broken
	exitBroken = 1 // broken orders found and --fail-on-broken was given
	exitUsage  = 2 // usage error, bad input, or a failure to read the sources
)

// env is everything a command touches outside its own arguments, injected so tests can swap it.
type env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	StdoutTTY      bool // stdout is a terminal: colour and tables switch on this, never on guesses
	StderrTTY      bool // stderr is a terminal: progress bars only then
	Getenv         func(string) string
	Now            func() time.Time
}

func newEnv() *env {
	return &env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		StdoutTTY: isatty.IsTerminal(os.Stdout.Fd()),
		StderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
		Getenv:    os.Getenv,
		Now:       time.Now,
	}
}

// colour reports whether output to stdout may use ANSI colour (a terminal, and NO_COLOR unset).
func (e *env) colour() bool { return e.StdoutTTY && e.Getenv("NO_COLOR") == "" }

// usageError is a mistake in how hoptrace was called; it prints the hint after the error.
type usageError struct {
	err  error
	hint string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(hint, format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), hint: hint}
}

// brokenError means the run worked and found broken orders, and the user asked to fail on them.
type brokenError struct{ n int }

func (e *brokenError) Error() string { return fmt.Sprintf("%d broken orders found", e.n) }

// Main runs hoptrace with args and returns the process exit code. It is the one place errors become codes.
func Main(args []string, e *env) int {
	if e.Getenv("GOGC") == "" {
		// Most of an audit's memory is pointer-free (packed records, symbol arenas), so a collection is cheap:
		// collecting at 20% growth instead of 100% costs a few percent of time and a third of the peak memory.
		debug.SetGCPercent(20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var broken *brokenError
	if errors.As(err, &broken) {
		fmt.Fprintf(e.Stderr, "hoptrace: %v\n", err)
		return exitBroken
	}
	fmt.Fprintf(e.Stderr, "Error: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) && ue.hint != "" {
		fmt.Fprintf(e.Stderr, "Try: %s\n", ue.hint)
	}
	return exitUsage
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "hoptrace",
		Short: "Find where a paid order's pay-success message was lost, with evidence",
		Long: `hoptrace joins order-service logs, red-packet-service logs and RocketMQ message traces per order
and says, for each order, which hop of paid -> sent -> stored -> delivered -> consumed -> granted is
missing and the evidence that proves it.`,
		Example: `  hoptrace order 2026112300000042 fixtures/sample/logs
  hoptrace audit fixtures/sample/logs
  hoptrace audit /var/log/pay --profile my-logs.yaml --format ndjson -o audit.ndjson`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef(c.CommandPath()+" --help", "%v", err)
	})
	root.AddCommand(newVersionCmd(e))
	for _, add := range subcommands {
		root.AddCommand(add(e))
	}
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  source <(hoptrace completion bash)
  hoptrace completion zsh > "${fpath[1]}/_hoptrace"
  hoptrace completion fish > ~/.config/fish/completions/hoptrace.fish`
		examples := map[string]string{
			"bash":       "  source <(hoptrace completion bash)",
			"zsh":        `  hoptrace completion zsh > "${fpath[1]}/_hoptrace"`,
			"fish":       "  hoptrace completion fish > ~/.config/fish/completions/hoptrace.fish",
			"powershell": "  hoptrace completion powershell | Out-String | Invoke-Expression",
		}
		for _, sh := range c.Commands() {
			sh.Example = examples[sh.Name()]
		}
	}
	return root
}

// subcommands is filled by each command's file in init, so that commands live in files of their own.
var subcommands []func(*env) *cobra.Command

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the hoptrace version",
		Example: "  hoptrace version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(e.Stdout, "hoptrace %s\n", version())
			return nil
		},
	}
}
