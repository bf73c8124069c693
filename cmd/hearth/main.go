// Command hearth is the only Hearth binary: it serves the platform and carries
// its operator tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the Hearth service", runServe},
		{"admin", "operator tasks (create users)", runAdmin},
		{"log", "the transparency log: print its key, verify a log", runLog},
		{"vault", "a member's clips and key: download and decrypt, make or export the key", runVault},
		{"sim", "run a virtual device (camera, doorbell, sensor…)", runSim},
		{"version", "print the version", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hearth <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hearth <command> --help' for a command's flags.")
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdin, stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "hearth %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "hearth %s: %s\n", c.name, errorText(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "hearth: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// usageError marks a mistake in the command line itself (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// runTasks runs the task named by args[0] of a command that groups tasks
// (hearth admin, hearth log), printing usage for help or a mistake.
func runTasks(ctx context.Context, usage func(io.Writer), tasks map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error,
	args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return usageError{"missing task"}
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	}
	if task, ok := tasks[args[0]]; ok {
		return task(ctx, args[1:], stdin, stdout, stderr)
	}
	usage(stderr)
	return usageError{fmt.Sprintf("unknown task %q", args[0])}
}

// parseFlags parses a command's flags; commands take no positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()} // a mistake on the command line: exit status 2
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
