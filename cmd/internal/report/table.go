package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// PrintTable writes a titled two-column table of settings, one key and value
// per line, with the values aligned in one column. A value that contains
// newlines continues on indented lines under its first line. An empty title
// prints no title line. Write errors are ignored, as with fmt.Println, because
// the table is informational output to a terminal or log.
func PrintTable(w io.Writer, title string, rows [][2]string) {
	var b strings.Builder
	if title != "" {
		b.WriteString(title)
		b.WriteByte('\n')
	}

	keyWidth := 0
	for _, row := range rows {
		keyWidth = max(keyWidth, utf8.RuneCountInString(row[0]))
	}

	// Continuation lines start where the first value starts: two spaces of
	// indent, the key column and two spaces of gap.
	continuation := "\n" + strings.Repeat(" ", 2+keyWidth+2)
	for _, row := range rows {
		value := strings.ReplaceAll(strings.TrimRight(row[1], "\n"), "\n", continuation)
		line := fmt.Sprintf("  %-*s  %s", keyWidth, row[0], value)
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}

	io.WriteString(w, b.String())
}
