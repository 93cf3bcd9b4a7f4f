package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
)

// fakeClock is a clock that tests advance by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// doneRE matches the "done/total" field of a progress line.
var doneRE = regexp.MustCompile(` (\d+)/\d+ `)

// plainLineSteps returns the done count of each line of plain output.
func plainLineSteps(t *testing.T, out string) []int {
	t.Helper()
	var steps []int
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		m := doneRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("got line %q without a done/total field", line)
		}
		n, _ := strconv.Atoi(m[1])
		steps = append(steps, n)
	}
	return steps
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProgressPlainRateLimit(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		stepTime  time.Duration
		stopAfter int // steps before Finish
		want      []int
	}{
		{
			name:      "fast steps print each tenth",
			total:     100,
			stepTime:  100 * time.Millisecond,
			stopAfter: 100,
			want:      []int{10, 20, 30, 40, 50, 60, 70, 80, 90, 100},
		},
		{
			name:      "uneven total",
			total:     25,
			stepTime:  time.Second,
			stopAfter: 25,
			want:      []int{3, 5, 8, 10, 13, 15, 18, 20, 23, 25},
		},
		{
			name:      "fewer steps than tenths",
			total:     4,
			stepTime:  time.Second,
			stopAfter: 4,
			want:      []int{1, 2, 3, 4},
		},
		{
			// Each step takes 10 s, so a tenth takes 100 s and the 30 s
			// limit adds lines in between.
			name:      "slow steps print every 30 s",
			total:     100,
			stepTime:  10 * time.Second,
			stopAfter: 20,
			want:      []int{3, 6, 9, 10, 13, 16, 19, 20},
		},
		{
			name:      "early finish prints last state",
			total:     100,
			stepTime:  100 * time.Millisecond,
			stopAfter: 55,
			want:      []int{10, 20, 30, 40, 50, 55},
		},
		{
			name:      "finish before first tenth",
			total:     100,
			stepTime:  100 * time.Millisecond,
			stopAfter: 3,
			want:      []int{3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			clock := &fakeClock{t: time.Unix(1000, 0)}
			p := newProgress(&buf, tt.total, "train", clock.now, false, nil)
			for step := 1; step <= tt.stopAfter; step++ {
				clock.advance(tt.stepTime)
				p.Update(step, 32*step, 1.0, 0.5)
			}
			p.Finish()

			out := buf.String()
			if strings.Contains(out, "\r") {
				t.Errorf("got a carriage return in plain output %q, want none", out)
			}
			if got := plainLineSteps(t, out); !equalInts(got, tt.want) {
				t.Errorf("got lines at steps %v, want %v\noutput:\n%s", got, tt.want, out)
			}
		})
	}
}

func TestProgressPlainLine(t *testing.T) {
	tests := []struct {
		name  string
		steps int
		want  string
	}{
		{
			// 10 steps of 100 ms with 32 images each: 320 images in 1 s,
			// and 90 steps left at 100 ms each.
			name:  "first tenth",
			steps: 10,
			want:  "epoch 3/90  10/100 [##------------------]  10% ETA     9s  320.0 img/s  loss 1.2346  acc  53.20%\n",
		},
		{
			name:  "complete",
			steps: 100,
			want:  "epoch 3/90 100/100 [####################] 100% took    10s  320.0 img/s  loss 1.2346  acc  53.20%\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			clock := &fakeClock{t: time.Unix(1000, 0)}
			p := newProgress(&buf, 100, "epoch 3/90", clock.now, false, nil)
			for step := 1; step <= tt.steps; step++ {
				clock.advance(100 * time.Millisecond)
				p.Update(step, 32*step, 1.23456, 0.532)
			}
			lines := strings.SplitAfter(buf.String(), "\n")
			if got := lines[len(lines)-2]; got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(1000, 0)}
	p := newProgress(&buf, 0, "eval", clock.now, false, nil)
	for step := 1; step <= 7; step++ {
		clock.advance(10 * time.Second)
		p.Update(step, 10*step, 0.5, 0.25)
	}

	// Without a total only the 30 s limit applies: lines at 30 s and 60 s.
	want := "eval 3 steps, 30s    1.0 img/s  loss 0.5000  acc  25.00%\n" +
		"eval 6 steps, 1m00s    1.0 img/s  loss 0.5000  acc  25.00%\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestProgressTerminalRateLimit(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(1000, 0)}
	p := newProgress(&buf, 100, "train", clock.now, true, nil)
	for step := 1; step <= 100; step++ {
		clock.advance(10 * time.Millisecond)
		p.Update(step, 32*step, 1.0, 0.5)
	}
	// Repeated updates of the last step stay under the rate limit.
	for range 3 {
		clock.advance(time.Millisecond)
		p.Update(100, 3200, 1.0, 0.5)
	}
	p.Finish()
	out := buf.String()

	// Draws: the first update at 10 ms, then every 200 ms (steps 21, 41,
	// 61, 81), the first update of step 100, and the redraw in Finish.
	draws := strings.Split(strings.TrimSuffix(out, "\n"), "\r")[1:]
	var steps []int
	for _, d := range draws {
		m := doneRE.FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("got draw %q without a done/total field", d)
		}
		n, _ := strconv.Atoi(m[1])
		steps = append(steps, n)
	}
	if want := []int{1, 21, 41, 61, 81, 100, 100}; !equalInts(steps, want) {
		t.Errorf("got draws at steps %v, want %v", steps, want)
	}
	if !strings.HasPrefix(out, "\r") {
		t.Errorf("got output starting %q, want a carriage return first", out[:min(len(out), 10)])
	}
	if got := strings.Count(out, "\n"); got != 1 {
		t.Errorf("got %d newlines, want 1 from Finish", got)
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("got output ending %q, want a newline last", out[max(0, len(out)-10):])
	}
}

func TestProgressTerminalWidth(t *testing.T) {
	tests := []struct {
		name    string
		columns int
		want    string
	}{
		{
			name:    "unknown width keeps the bar",
			columns: 0,
			want:    "\rtrain  50/100 [##########----------]  50% ETA     5s  320.0 img/s  loss 1.0000  acc  50.00%",
		},
		{
			name:    "narrow terminal drops the bar",
			columns: 80,
			want:    "\rtrain  50/100  50% ETA     5s  320.0 img/s  loss 1.0000  acc  50.00%",
		},
		{
			// The line without the bar has 68 characters. It must fit in
			// 39 to keep the cursor off the last of 40 columns, so it
			// ends at the last field gap before column 39.
			name:    "very narrow terminal drops fields",
			columns: 40,
			want:    "\rtrain  50/100  50% ETA     5s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			clock := &fakeClock{t: time.Unix(1000, 0)}
			p := newProgress(&buf, 100, "train", clock.now, true, func() int { return tt.columns })
			clock.advance(5 * time.Second)
			p.Update(50, 1600, 1.0, 0.5)
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestProgressTerminalPadding(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(1000, 0)}
	p := newProgress(&buf, 100, "train", clock.now, true, nil)
	clock.advance(time.Second)
	p.Update(1, 32, 12.5, 0.5)
	clock.advance(time.Second)
	p.Update(2, 64, 2.5, 0.5)

	draws := strings.Split(buf.String(), "\r")[1:]
	if len(draws) != 2 {
		t.Fatalf("got %d draws, want 2: %q", len(draws), buf.String())
	}
	// The second line is one character shorter ("2.5000" against
	// "12.5000"), so one trailing space blanks the old last character.
	if got, want := len(draws[1]), len(draws[0]); got != want {
		t.Errorf("got second draw length %d, want %d as the first: %q", got, want, draws)
	}
	if !strings.HasSuffix(draws[1], "% ") {
		t.Errorf("got second draw %q, want it padded with one space", draws[1])
	}
}

func TestProgressTerminalResize(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(1000, 0)}
	columns := 0
	p := newProgress(&buf, 100, "train", clock.now, true, func() int { return columns })
	clock.advance(time.Second)
	p.Update(10, 320, 1, 0.5)
	columns = 40
	clock.advance(time.Second)
	p.Update(20, 640, 1, 0.5)

	draws := strings.Split(buf.String(), "\r")[1:]
	if len(draws) != 2 {
		t.Fatalf("got %d draws, want 2: %q", len(draws), buf.String())
	}
	// The padding that blanks the longer first line stops at column 39.
	if got := len([]rune(draws[1])); got != 39 {
		t.Errorf("got second draw of %d characters, want 39: %q", got, draws[1])
	}
	if want := "train  20/100  20% ETA     8s"; !strings.HasPrefix(draws[1], want+" ") {
		t.Errorf("got second draw %q, want %q and padding", draws[1], want)
	}
}

func TestProgressAfterFinish(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
	}{
		{"plain", false},
		{"terminal", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			clock := &fakeClock{t: time.Unix(1000, 0)}
			p := newProgress(&buf, 10, "train", clock.now, tt.terminal, nil)
			clock.advance(time.Second)
			p.Update(10, 320, 1, 1)
			p.Finish()
			before := buf.String()

			clock.advance(time.Minute)
			p.Update(5, 160, 1, 1)
			p.Finish()
			if got := buf.String(); got != before {
				t.Errorf("got output %q after a second Finish, want it unchanged from %q", got, before)
			}
		})
	}
}

// failingWriter returns an error from every Write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestProgressErr(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	p := newProgress(failingWriter{}, 10, "train", clock.now, false, nil)
	if err := p.Err(); err != nil {
		t.Fatalf("got error %v before any write, want nil", err)
	}
	clock.advance(time.Second)
	p.Update(10, 320, 1, 1)
	p.Finish()
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("got error %v, want the write error \"disk full\"", err)
	}
}

func TestNewProgressNotTerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()

	tests := []struct {
		name string
		w    interface{ Write([]byte) (int, error) }
	}{
		{"buffer", &bytes.Buffer{}},
		{"regular file", file},
		{"null device", devNull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := NewProgress(tt.w, 10, "train"); p.terminal {
				t.Errorf("got terminal mode for %s, want plain", tt.name)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{400 * time.Millisecond, "0s"},
		{42 * time.Second, "42s"},
		{59*time.Second + 600*time.Millisecond, "1m00s"},
		{3*time.Minute + 5*time.Second, "3m05s"},
		{59*time.Minute + 59*time.Second, "59m59s"},
		{time.Hour, "1h00m"},
		{2*time.Hour + 7*time.Minute + 59*time.Second, "2h07m"},
		{100 * time.Hour, "100h00m"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := formatDuration(tt.d); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
