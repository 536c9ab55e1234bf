//go:build linux

package scanner_test

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"

	"munjigi/scanner"
)

// keyModel is the least Bubble Tea screen: it hands on every key it gets.
type keyModel struct{ keys chan<- string }

func (m keyModel) Init() tea.Cmd { return nil }

func (m keyModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		m.keys <- k.String()
	}
	return m, nil
}

func (m keyModel) View() string { return "" }

// TestKeyboardBubbleTea is the kiosk's wiring, with Bubble Tea v1 reading
// a Keyboard's Keys (tea.WithInput): a person's keys arrive as key
// messages and a scan never does; Bubble Tea leaves the terminal's mode
// alone (the kiosk owns raw mode); and when the program ends, its reader
// is cancelled and gone, not left blocked on the keys (the keys are a
// pipe, which Bubble Tea's cancel reader can wake: a plain io.Reader it
// could not, and it would swallow the next key).
func TestKeyboardBubbleTea(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	before, err := unix.IoctlGetTermios(int(kb.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	keys := make(chan string, 16)
	p := tea.NewProgram(keyModel{keys}, tea.WithInput(kb.k.Keys()), tea.WithOutput(io.Discard), tea.WithoutSignalHandler())
	done := make(chan error, 1)
	go func() {
		_, err := p.Run()
		done <- err
	}()
	want := func(k string) {
		t.Helper()
		select {
		case got := <-keys:
			if got != k {
				t.Errorf("the screen got %q, want %q", got, k)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the screen got no key; want %q", k)
		}
	}
	for _, k := range []struct{ typed, msg string }{{"m", "m"}, {"\x1b", "esc"}, {"\r", "enter"}, {"\x1b[A", "up"}} {
		kb.master.Write([]byte(k.typed))
		want(k.msg)
		time.Sleep(200 * time.Millisecond)
	}
	qr := pass(t, "recovered")
	if s := kb.typeScan(t, qr+"\r", 2*time.Millisecond); string(s.Payload) != qr {
		t.Errorf("got %q (%v), want the pass", s.Payload, s.Err)
	}
	for _, qr := range []string{"m4", "qy"} {
		if s := kb.typeScan(t, qr+"\r", 4*time.Millisecond); string(s.Payload) != qr {
			t.Errorf("got %q (%v), want the scan %q", s.Payload, s.Err, qr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case k := <-keys:
		t.Errorf("a scanner's key reached the screen: %q", k)
	case <-time.After(300 * time.Millisecond):
	}

	p.Quit()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the program: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not end")
	}
	noGoroutine(t, "bubbletea.(*Program).readLoop")
	// Nothing is left reading the keys: the next one stays for whoever
	// reads next (here the test).
	kb.master.Write([]byte("x"))
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 16)
		n, _ := kb.k.Keys().Read(buf) // ends at the latest when the keyboard stops
		got <- string(buf[:n])
	}()
	select {
	case k := <-got:
		if k != "x" {
			t.Errorf("read %q after the program, want x", k)
		}
	case <-time.After(5 * time.Second):
		t.Error("a key after the program was lost: something still reads the keys")
	}
	after, err := unix.IoctlGetTermios(int(kb.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *before != *after {
		t.Errorf("the terminal's mode changed under Bubble Tea:\n%+v\n%+v", before, after)
	}
}

// The kiosk's keyboard, wired into a Bubble Tea program: the terminal in
// raw mode (Bubble Tea no longer does it, since it does not read the
// terminal), a person's keys to the screen, scans to the door.
func ExampleNewKeyboard() {
	restore, err := scanner.MakeRaw(os.Stdin)
	if err != nil {
		return // not a terminal: no keyboard scanner
	}
	defer restore()
	k, err := scanner.NewKeyboard(os.Stdin, scanner.KeyOptions{}) // or the config's gap
	if err != nil {
		return
	}
	defer k.Close() // after the program: it closes the keys
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scans := k.Scans(ctx) // Reading, Read, Ignored, Disconnected: to the screen's model
	_ = scans
	p := tea.NewProgram(keyModel{}, tea.WithInput(k.Keys()), tea.WithAltScreen())
	p.Run()
}
