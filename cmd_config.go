package main

import (
	"fmt"
	"io"
	"strings"
)

// cmdConfig is 'munjigi config check': the configuration read as the kiosk
// reads it, and every mistake in it named.
func cmdConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "Usage: munjigi config check [--config FILE]\n\nReads the configuration as the kiosk does (flags > MUNJIGI_* environment >\nfile > defaults) and says what is wrong with it; exit status 2 when anything is.")
		return exitUsage
	}
	fs := newFlags("config check", stderr)
	configPath := fs.String("config", "", "the `FILE` to check (default ./config.yaml, then /etc/munjigi/config.yaml)")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err != nil {
		fmt.Fprintf(stderr, "munjigi config check: %v\n", err)
		return exitUsage
	}
	// The checks the kiosk makes only when it starts: files it will read.
	if _, err := cfg.decider(); err != nil {
		fmt.Fprintf(stderr, "munjigi config check: policy: %v\n", err)
		return exitUsage
	}
	for _, f := range cfg.Trust.Files {
		if err := checkTrustFile(f); err != nil {
			fmt.Fprintf(stderr, "munjigi config check: trust.files: %v\n", err)
			return exitUsage
		}
	}
	from := cfg.file
	if from == "" {
		from = "no file: defaults and MUNJIGI_* environment"
	}
	fmt.Fprintf(stdout, "ok (%s)\n", from)
	policy := cfg.Policy.Profile
	fmt.Fprintf(stdout, "  venue      %q, a %s in %s (%s); screen in %s\n", cfg.Venue.Name, cfg.Venue.Type, cfg.Venue.Country, cfg.Venue.Timezone, cfg.Language)
	fmt.Fprintf(stdout, "  rules      %s\n", policy)
	fmt.Fprintf(stdout, "  scanner    %s\n", describeScanner(cfg))
	fmt.Fprintf(stdout, "  entry log  %s, kept %d days\n", cfg.Store.Path, cfg.Store.RetentionDays)
	if cfg.Upstream.URL == "" {
		fmt.Fprintln(stdout, "  upstream   none: the kiosk works alone")
	} else {
		fmt.Fprintf(stdout, "  upstream   %s, token budget %s\n", cfg.Upstream.URL, cfg.Upstream.TokenBudget)
	}
	fmt.Fprintf(stdout, "  log        %s\n", cfg.logPath())
	return exitOK
}

func describeScanner(cfg *config) string {
	sc := cfg.Scanner
	switch sc.Source {
	case "serial":
		return fmt.Sprintf("serial %s, %d baud, %d%s%d", sc.Port, sc.Baud, sc.DataBits, strings.ToUpper(sc.Parity[:1]), sc.StopBits)
	case "file":
		return "file " + sc.File
	}
	return "keyboard (or standard input)"
}
