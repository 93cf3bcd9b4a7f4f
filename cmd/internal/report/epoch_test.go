package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

const wantEpochHeader = "epoch  train loss  train acc   val loss   val acc         lr  images/s   seconds\n"

func TestEpochHeader(t *testing.T) {
	var buf bytes.Buffer
	EpochHeader(&buf)
	if got := buf.String(); got != wantEpochHeader {
		t.Errorf("got\n%q\nwant\n%q", got, wantEpochHeader)
	}
}

func TestEpochLine(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		row  EpochRow
		want string
	}{
		{
			name: "first epoch",
			row:  EpochRow{Epoch: 1, TrainLoss: 2.302585, TrainAcc: 0.1034, ValLoss: 2.29, ValAcc: 0.11, LR: 0.1, ImagesPerSec: 45.31, Seconds: 123.4},
			want: "    1      2.3026     10.34%     2.2900    11.00%        0.1      45.3     123.4\n",
		},
		{
			name: "no validation set",
			row:  EpochRow{Epoch: 12, TrainLoss: 0.5, TrainAcc: 0.85, ValLoss: nan, ValAcc: nan, LR: 3.2e-5, ImagesPerSec: 1045.3, Seconds: 5123.4},
			want: "   12      0.5000     85.00%          -         -    3.2e-05    1045.3    5123.4\n",
		},
		{
			name: "full accuracy and small lr",
			row:  EpochRow{Epoch: 90, TrainLoss: 0.0001, TrainAcc: 1, ValLoss: 0.01, ValAcc: 0.999, LR: 0.000123456, ImagesPerSec: 0, Seconds: 0},
			want: "   90      0.0001    100.00%     0.0100    99.90%   0.000123       0.0       0.0\n",
		},
		{
			name: "diverged loss widens its field",
			row:  EpochRow{Epoch: 2, TrainLoss: 12345678, TrainAcc: 0, ValLoss: math.Inf(1), ValAcc: 0, LR: 10, ImagesPerSec: 1, Seconds: 1},
			want: "    2  12345678.0000      0.00%       +Inf     0.00%         10       1.0       1.0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			EpochLine(&buf, tt.row)
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestEpochLineAlignment checks that every field of a normal line ends in
// the same column as a word of the header. Header names such as "train loss"
// contain spaces, so the header has more word ends than the line has fields.
func TestEpochLineAlignment(t *testing.T) {
	var buf bytes.Buffer
	EpochLine(&buf, EpochRow{Epoch: 3, TrainLoss: 1.5, TrainAcc: 0.5, ValLoss: 1.6, ValAcc: 0.45, LR: 0.01, ImagesPerSec: 50, Seconds: 60})
	line := buf.String()

	if got, want := len(line), len(wantEpochHeader); got != want {
		t.Fatalf("got line length %d, want header length %d\nline   %q\nheader %q", got, want, line, wantEpochHeader)
	}
	fields := 0
	for i := 0; i < len(line)-1; i++ {
		if line[i] == ' ' || line[i+1] != ' ' && line[i+1] != '\n' {
			continue
		}
		fields++
		headerEnds := wantEpochHeader[i] != ' ' && (wantEpochHeader[i+1] == ' ' || wantEpochHeader[i+1] == '\n')
		if !headerEnds {
			t.Errorf("column %d: got a field end in the line, want a header word end there\nline   %q\nheader %q",
				i, line, wantEpochHeader)
		}
	}
	if fields != 8 {
		t.Errorf("got %d fields in %q, want 8", fields, line)
	}
	if got := strings.Count(line, "\n"); got != 1 {
		t.Errorf("got %d newlines, want 1", got)
	}
}
