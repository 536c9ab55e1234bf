package main

import (
	"fmt"
	"io"

	"munjigi/policy"
)

func cmdRules(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("rules", stderr)
	lang := fs.String("lang", "", "the `LANGUAGE` of descriptions for list: ko or en (config language)")
	configPath := fs.String("config", "", "read settings from `FILE` (the language)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi rules list [--lang ko|en] [--config FILE]
       munjigi rules test PATH...

  list   the rule profiles munjigi ships, with their rules
  test   run rule tests: a folder holding rule.json and tests/*.json, a folder
         of such folders, or a CertLogic test-suite file ({name, cases}).
         Prints each failure and ends with "N passed, M failed"; exit
         status 1 when any failed.

`)
		fs.PrintDefaults()
	}
	// The action comes first, its flags after it: munjigi rules list --lang ko.
	action := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		action, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *lang == "" {
		cfg, err := loadConfig(findConfig(*configPath))
		if err != nil {
			fmt.Fprintf(stderr, "munjigi rules: %v\n", err)
			return exitUsage
		}
		*lang = cfg.Language
	}
	switch action {
	case "list":
		return listProfiles(*lang, stdout, stderr)
	case "test":
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "munjigi rules test: name at least one PATH")
			return exitUsage
		}
		return testRules(fs.Args(), stdout, stderr)
	}
	fs.Usage()
	return exitUsage
}

func listProfiles(lang string, stdout, stderr io.Writer) int {
	for _, name := range policy.Names() {
		p, err := policy.Builtin(name)
		if err != nil {
			fmt.Fprintf(stderr, "munjigi rules: %v\n", err)
			return exitUsage
		}
		def := ""
		if name == policy.DefaultProfile {
			def = " (default)"
		}
		fmt.Fprintf(stdout, "%s%s\n  %s\n", name, def, p.Describe(lang))
		for _, r := range p.Rules {
			fmt.Fprintf(stdout, "    %-14s %-11s %-11s %s\n", r.ID, r.Type, r.CertificateType, r.Describe(lang))
		}
		fmt.Fprintln(stdout)
	}
	return exitOK
}

func testRules(paths []string, stdout, stderr io.Writer) int {
	outcomes, err := policy.RunTests(paths...)
	if err != nil {
		// A path that is not tests at all: say so rather than count.
		fmt.Fprintf(stderr, "munjigi rules test: %v\n", err)
		return exitUsage
	}
	passed, failed, skipped := 0, 0, 0
	for _, o := range outcomes {
		switch {
		case o.Skipped:
			skipped++
		case o.Err != nil:
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %v\n", o.Name, o.Err)
		default:
			passed++
		}
	}
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d skipped by their suites' own directives\n", skipped)
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitNotPass
	}
	return exitOK
}
