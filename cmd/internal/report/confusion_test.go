package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrintConfusion(t *testing.T) {
	tests := []struct {
		name    string
		classes []string
		matrix  [][]int
		want    string
	}{
		{
			// Accuracies: 50/53 = 94.34%, 40/47 = 85.11%, 90/100 = 90.00%.
			name:    "two classes",
			classes: []string{"cat", "dog"},
			matrix:  [][]int{{50, 3}, {7, 40}},
			want: "true \\ predicted    0   1  | images  accuracy\n" +
				"0 cat              50   3  |     53    94.34%\n" +
				"1 dog               7  40  |     47    85.11%\n" +
				"Overall accuracy: 90.00% (90 of 100 images)\n",
		},
		{
			// The 33-character name keeps 9 characters, an ellipsis and
			// 10 characters. The count 1000 widens every cell to 4.
			// Accuracies: 50/54 = 92.59%, 40/47 = 85.11%, 1000/1011 =
			// 98.91%, 9/9 = 100%, and (50+40+0+1000+9)/1121 = 98.04%.
			name:    "five classes with long names",
			classes: []string{"n01440764_tench", "n01443537_goldfish_very_long_name", "church", "parachute", "x"},
			matrix: [][]int{
				{50, 3, 0, 0, 1},
				{7, 40, 0, 0, 0},
				{0, 0, 0, 0, 0},
				{1, 2, 3, 1000, 5},
				{0, 0, 0, 0, 9},
			},
			want: "true \\ predicted           0    1    2    3    4  | images  accuracy\n" +
				"0 n01440764_tench         50    3    0    0    1  |     54    92.59%\n" +
				"1 n01443537…_long_name     7   40    0    0    0  |     47    85.11%\n" +
				"2 church                   0    0    0    0    0  |      0         -\n" +
				"3 parachute                1    2    3 1000    5  |   1011    98.91%\n" +
				"4 x                        0    0    0    0    9  |      9   100.00%\n" +
				"Overall accuracy: 98.04% (1099 of 1121 images)\n",
		},
		{
			name:    "no images",
			classes: []string{"a", "b"},
			matrix:  [][]int{{0, 0}, {0, 0}},
			want: "true \\ predicted    0   1  | images  accuracy\n" +
				"0 a                 0   0  |      0         -\n" +
				"1 b                 0   0  |      0         -\n" +
				"Overall accuracy: - (0 of 0 images)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PrintConfusion(&buf, tt.classes, tt.matrix); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestPrintConfusionTwelveClasses checks that two-digit class indexes keep
// the rows aligned.
func TestPrintConfusionTwelveClasses(t *testing.T) {
	classes := make([]string, 12)
	matrix := make([][]int, 12)
	for i := range classes {
		classes[i] = strings.Repeat("c", i+1)
		matrix[i] = make([]int, 12)
		matrix[i][i] = 5
	}
	var buf bytes.Buffer
	if err := PrintConfusion(&buf, classes, matrix); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if got, want := len(lines), 1+12+1; got != want {
		t.Fatalf("got %d lines, want %d", got, want)
	}
	width := len([]rune(lines[0]))
	for i, line := range lines[:len(lines)-1] {
		if got := len([]rune(line)); got != width {
			t.Errorf("line %d: got width %d, want %d as the header: %q", i+1, got, width, line)
		}
	}
	if want := " 9 cccccccccc "; !strings.HasPrefix(lines[10], want) {
		t.Errorf("got row %q, want it to start with %q", lines[10], want)
	}
	if want := "Overall accuracy: 100.00% (60 of 60 images)"; lines[len(lines)-1] != want {
		t.Errorf("got last line %q, want %q", lines[len(lines)-1], want)
	}
}

func TestPrintConfusionErrors(t *testing.T) {
	tests := []struct {
		name    string
		classes []string
		matrix  [][]int
		want    string
	}{
		{"too few rows", []string{"a", "b"}, [][]int{{1, 0}}, "confusion matrix has 1 rows for 2 classes"},
		{"short row", []string{"a", "b"}, [][]int{{1, 0}, {1}}, "row 1 (b) has 1 columns for 2 classes"},
		{"negative count", []string{"a", "b"}, [][]int{{1, 0}, {-2, 3}}, "count [1][0] is -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := PrintConfusion(&buf, tt.classes, tt.matrix)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("got output %q, want none on error", buf.String())
			}
		})
	}
}

func TestTruncateMiddle(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  string
	}{
		{"cat", 20, "cat"},
		{"exactly_twenty_chars", 20, "exactly_twenty_chars"},
		{"twenty_one_characters", 20, "twenty_on…characters"},
		{"n01443537_goldfish_very_long_name", 20, "n01443537…_long_name"},
		{"äöüäöüäöüäöü", 5, "äö…öü"},
		{"abcdef", 2, "…f"},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if got := truncateMiddle(tt.s, tt.width); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
