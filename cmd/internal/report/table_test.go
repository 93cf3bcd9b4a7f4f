package report

import (
	"bytes"
	"testing"
)

func TestPrintTable(t *testing.T) {
	tests := []struct {
		name  string
		title string
		rows  [][2]string
		want  string
	}{
		{
			name:  "aligned values",
			title: "Model",
			rows:  [][2]string{{"depth", "50"}, {"parameters", "23,528,522"}, {"input size", "3x224x224"}},
			want: "Model\n" +
				"  depth       50\n" +
				"  parameters  23,528,522\n" +
				"  input size  3x224x224\n",
		},
		{
			name:  "no title",
			title: "",
			rows:  [][2]string{{"lr", "0.1"}},
			want:  "  lr  0.1\n",
		},
		{
			name:  "no rows",
			title: "Optimizer",
			rows:  nil,
			want:  "Optimizer\n",
		},
		{
			name:  "multiline value",
			title: "Data",
			rows:  [][2]string{{"skipped", "a.jpg: truncated\nb.png: not an image\n"}, {"classes", "2"}},
			want: "Data\n" +
				"  skipped  a.jpg: truncated\n" +
				"           b.png: not an image\n" +
				"  classes  2\n",
		},
		{
			name:  "empty value",
			title: "Data",
			rows:  [][2]string{{"note", ""}, {"classes", "2"}},
			want: "Data\n" +
				"  note\n" +
				"  classes  2\n",
		},
		{
			name:  "non-ASCII key",
			title: "Run",
			rows:  [][2]string{{"größe", "1"}, {"seed", "42"}},
			want: "Run\n" +
				"  größe  1\n" +
				"  seed   42\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			PrintTable(&buf, tt.title, tt.rows)
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
