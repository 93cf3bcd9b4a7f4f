package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// maxClassNameWidth is the number of characters of a class name that
// PrintConfusion prints. Longer names keep their start and end around an
// ellipsis, because folder names such as "n01440764_tench" differ at both.
const maxClassNameWidth = 20

// PrintConfusion writes a confusion matrix with the per-class and overall
// accuracy. matrix[i][j] counts the images of true class i that the model
// predicted as class j, so rows are true classes and columns are predicted
// classes. Rows are labeled with the class index and name, and columns with
// the class index only, which keeps the columns narrow for long names. It
// prints no title, so the caller can name the data set and the epoch. It
// returns an error, and writes nothing, when matrix is not len(classes) by
// len(classes) or contains a negative count. Write errors are ignored, as in
// PrintTable.
//
// NOTE: every class gets a column of 4 or more characters, so with more than
// about 10 classes the lines get wider than 80 columns.
func PrintConfusion(w io.Writer, classes []string, matrix [][]int) error {
	n := len(classes)
	if len(matrix) != n {
		return errors.Errorf("confusion matrix has %d rows for %d classes (expected one row per true class)", len(matrix), n)
	}
	for i, row := range matrix {
		if len(row) != n {
			return errors.Errorf("confusion matrix row %d (%s) has %d columns for %d classes (expected one column per predicted class)",
				i, classes[i], len(row), n)
		}
		for j, count := range row {
			if count < 0 {
				return errors.Errorf("confusion matrix count [%d][%d] is %d, but counts cannot be negative", i, j, count)
			}
		}
	}

	// Row totals, the diagonal and the widest number decide the layout.
	totals := make([]int, n)
	correct, all, widest := 0, 0, 0
	for i, row := range matrix {
		for _, count := range row {
			totals[i] += count
			widest = max(widest, count)
		}
		correct += row[i]
		all += totals[i]
	}

	indexWidth := len(strconv.Itoa(max(n-1, 0)))
	names := make([]string, n)
	nameWidth := len("true \\ predicted") - indexWidth - 1
	for i, name := range classes {
		names[i] = truncateMiddle(name, maxClassNameWidth)
		nameWidth = max(nameWidth, len([]rune(names[i])))
	}
	labelWidth := indexWidth + 1 + nameWidth
	cellWidth := max(len(strconv.Itoa(widest)), indexWidth, 3)
	totalWidth := max(len(strconv.Itoa(all)), len("images"))

	var b strings.Builder

	fmt.Fprintf(&b, "%-*s ", labelWidth, "true \\ predicted")
	for j := range n {
		fmt.Fprintf(&b, " %*d", cellWidth, j)
	}
	fmt.Fprintf(&b, "  | %*s  %8s\n", totalWidth, "images", "accuracy")

	for i, row := range matrix {
		fmt.Fprintf(&b, "%*d %-*s ", indexWidth, i, nameWidth, names[i])
		for _, count := range row {
			fmt.Fprintf(&b, " %*d", cellWidth, count)
		}
		fmt.Fprintf(&b, "  | %*d  %8s\n", totalWidth, totals[i], formatRatio(row[i], totals[i]))
	}

	fmt.Fprintf(&b, "Overall accuracy: %s (%d of %d images)\n", formatRatio(correct, all), correct, all)
	io.WriteString(w, b.String())
	return nil
}

// formatRatio formats part/whole as a percentage, or "-" when whole is 0.
func formatRatio(part, whole int) string {
	if whole == 0 {
		return "-"
	}
	return formatPercent(float64(part) / float64(whole))
}

// truncateMiddle shortens s to at most width characters by replacing its
// middle with an ellipsis, keeping the start and the end.
func truncateMiddle(s string, width int) string {
	runes := []rune(s)
	if len(runes) <= width {
		return s
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return string(runes[:head]) + "…" + string(runes[len(runes)-tail:])
}
