package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

const (
	// terminalInterval is the minimum time between redraws on a terminal,
	// which limits redraws to 5 per second.
	terminalInterval = 200 * time.Millisecond

	// plainInterval is the maximum time between lines in plain output
	// when the epoch advances by less than 10% in that time.
	plainInterval = 30 * time.Second

	// barWidth is the number of characters inside the brackets of the bar.
	barWidth = 20
)

// Progress draws a progress bar for the steps of one epoch. It shows the
// completed and total steps, a bar, the estimated time left (ETA), the
// throughput in images per second, and the running loss and accuracy.
//
// On a terminal, Progress redraws one line with a carriage return at most 5
// times a second, plus one draw for the last step and one in Finish. Nothing
// else should write to that terminal before Finish, because a redraw only
// overwrites the current line. On any other writer, such as a log file or a
// pipe, it prints a full line each time the epoch passes another 10% of its
// steps, or after 30 seconds without a line, so logs get no carriage returns.
//
// A Progress is not safe for concurrent use.
type Progress struct {
	w        io.Writer
	total    int
	label    string
	now      func() time.Time
	terminal bool
	columns  func() int // terminal width in characters, 0 when unknown

	start time.Time

	// State of the latest Update.
	done   int
	images int
	loss   float64
	acc    float64

	// State of the latest output.
	printed      bool
	printedAt    time.Time
	printedDone  int
	printedTenth int // completed tenths of the epoch at the latest plain line
	lineWidth    int // characters of the latest terminal line, to blank a longer one

	finished bool
	err      error
}

// NewProgress starts a progress bar for an epoch of total steps, writing to
// w. The label, such as "epoch 3/90", starts every line. The clock starts
// now, so create the bar right before the first step. A total of zero or less
// means that the number of steps is unknown: the bar and ETA are left out.
//
// Progress treats w as a terminal when w is an *os.File open on a terminal.
// There it drops the bar, and then the last fields, when the line would be
// wider than the terminal, because a wrapped line cannot be redrawn in place.
func NewProgress(w io.Writer, total int, label string) *Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return newProgress(w, total, label, time.Now, false, nil)
	}
	columns := func() int {
		width, _, err := term.GetSize(int(f.Fd()))
		if err != nil {
			return 0
		}
		return width
	}
	return newProgress(w, total, label, time.Now, true, columns)
}

// newProgress is NewProgress with an injected clock, output mode and
// terminal width, for tests. A nil columns means an unknown width.
func newProgress(w io.Writer, total int, label string, now func() time.Time, terminal bool, columns func() int) *Progress {
	if columns == nil {
		columns = func() int { return 0 }
	}
	start := now()
	return &Progress{
		w:         w,
		total:     total,
		label:     label,
		now:       now,
		terminal:  terminal,
		columns:   columns,
		start:     start,
		printedAt: start,
	}
}

// Update records the state after done of total steps and draws the bar when
// the rate limit allows. The images count is the number of images processed
// since NewProgress, and runningLoss and runningAcc are the mean loss and the
// accuracy (a fraction in [0, 1]) over those images. Update after Finish does
// nothing.
func (p *Progress) Update(done int, images int, runningLoss, runningAcc float64) {
	if p.finished {
		return
	}
	p.done = done
	p.images = images
	p.loss = runningLoss
	p.acc = runningAcc

	now := p.now()
	if p.terminal {
		// The first draw of the last step skips the rate limit, so the
		// bar shows 100% even when Finish is never called.
		lastStep := p.complete() && p.printedDone != done
		if !p.printed || now.Sub(p.printedAt) >= terminalInterval || lastStep {
			p.redraw(now)
		}
		return
	}

	// printedAt starts at the start time, so the first plain line comes
	// after 10% of the steps or after plainInterval.
	nextTenth := p.completedTenths() > p.printedTenth
	stale := now.Sub(p.printedAt) >= plainInterval && done != p.printedDone
	if nextTenth || stale {
		p.printLine(now)
	}
}

// Finish draws the final state and ends the line. On a terminal it redraws
// the bar and writes a newline. In plain output it prints a last line unless
// the latest line already shows the final state. Calls after the first do
// nothing.
func (p *Progress) Finish() {
	if p.finished {
		return
	}
	now := p.now()
	if p.terminal {
		p.redraw(now)
		p.write("\n")
	} else if !p.printed || p.printedDone != p.done {
		p.printLine(now)
	}
	p.finished = true
}

// Err returns the first error from writing to w, or nil. Update and Finish
// ignore write errors so that a closed log does not stop training.
func (p *Progress) Err() error {
	return p.err
}

// redraw overwrites the terminal line with the current state, padding with
// spaces when the previous line was longer.
func (p *Progress) redraw(now time.Time) {
	line := p.format(now, true)
	// The cursor must stay before the last column, or the terminal wraps
	// and the next carriage return redraws only the tail.
	limit := p.columns() - 1
	if limit > 0 {
		if runeCount(line) > limit {
			line = p.format(now, false)
		}
		if runes := []rune(line); len(runes) > limit {
			// Cut at a field gap so that no number loses digits.
			line = string(runes[:limit])
			if gap := strings.LastIndex(line, "  "); gap > 0 {
				line = strings.TrimRight(line[:gap], " ")
			}
		}
	}

	width := runeCount(line)
	blankTo := p.lineWidth
	if limit > 0 {
		// After the terminal got narrower, blanking the old width would wrap.
		blankTo = min(blankTo, limit)
	}
	padding := ""
	if width < blankTo {
		padding = strings.Repeat(" ", blankTo-width)
	}
	p.write("\r" + line + padding)
	p.lineWidth = width
	p.markPrinted(now)
}

// printLine writes the current state as one full line of plain output.
func (p *Progress) printLine(now time.Time) {
	p.write(p.format(now, true) + "\n")
	p.printedTenth = p.completedTenths()
	p.markPrinted(now)
}

func (p *Progress) markPrinted(now time.Time) {
	p.printed = true
	p.printedAt = now
	p.printedDone = p.done
}

func (p *Progress) write(s string) {
	_, err := io.WriteString(p.w, s)
	if err != nil && p.err == nil {
		p.err = err
	}
}

// complete reports whether all steps of a known total are done.
func (p *Progress) complete() bool {
	return p.total > 0 && p.done >= p.total
}

// completedTenths returns how many tenths of the epoch are done, from 0 to
// 10, or 0 when the total is unknown.
func (p *Progress) completedTenths() int {
	if p.total <= 0 {
		return 0
	}
	return min(max(p.done, 0)*10/p.total, 10)
}

// format builds the progress line, for example
//
//	epoch 3/90 120/500 [####----------------]  24% ETA  2m05s   41.3 img/s  loss 1.2345  acc  53.20%
//
// Without withBar the bracketed bar is left out, for narrow terminals.
func (p *Progress) format(now time.Time, withBar bool) string {
	elapsed := now.Sub(p.start)
	var b strings.Builder
	b.WriteString(p.label)

	if p.total > 0 {
		digits := len(fmt.Sprint(p.total))
		fraction := min(max(float64(p.done)/float64(p.total), 0), 1)
		filled := int(fraction * barWidth)
		fmt.Fprintf(&b, " %*d/%d", digits, p.done, p.total)
		if withBar {
			fmt.Fprintf(&b, " [%s%s]", strings.Repeat("#", filled), strings.Repeat("-", barWidth-filled))
		}
		fmt.Fprintf(&b, " %3.0f%%", 100*fraction)
		if p.complete() {
			fmt.Fprintf(&b, " took %6s", formatDuration(elapsed))
		} else {
			fmt.Fprintf(&b, " ETA %6s", p.eta(elapsed))
		}
	} else {
		fmt.Fprintf(&b, " %d steps, %s", p.done, formatDuration(elapsed))
	}

	if elapsed > 0 {
		fmt.Fprintf(&b, " %6.1f img/s", float64(p.images)/elapsed.Seconds())
	} else {
		b.WriteString("      - img/s")
	}
	fmt.Fprintf(&b, "  loss %.4f  acc %7s", p.loss, formatPercent(p.acc))
	return b.String()
}

// eta estimates the time left from the mean time per completed step.
func (p *Progress) eta(elapsed time.Duration) string {
	if p.done <= 0 {
		return "?"
	}
	perStep := elapsed / time.Duration(p.done)
	return formatDuration(perStep * time.Duration(p.total-p.done))
}

func runeCount(s string) int {
	return len([]rune(s))
}

// formatDuration formats d rounded to whole seconds as "42s", "3m05s" or
// "2h07m". Durations of an hour or more drop the seconds.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	seconds := int64(d.Round(time.Second) / time.Second)
	switch {
	case seconds < 60:
		return fmt.Sprintf("%ds", seconds)
	case seconds < 3600:
		return fmt.Sprintf("%dm%02ds", seconds/60, seconds%60)
	default:
		minutes := seconds / 60
		return fmt.Sprintf("%dh%02dm", minutes/60, minutes%60)
	}
}
