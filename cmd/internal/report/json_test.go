package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestEpochRowJSONRoundTrip(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		rows []EpochRow
	}{
		{"finite values", []EpochRow{{1, 2.302585092994046, 0.1, 2.29, 0.11, 0.1, 45.3, 123.4}}},
		{"no validation set", []EpochRow{{1, 1.5, 0.4, nan, nan, 0.1, 40, 60}, {2, 1.2, 0.5, nan, nan, 0.1, 41, 59}}},
		{"infinite loss", []EpochRow{{3, math.Inf(1), 0, math.Inf(-1), 0, 1e-7, 0, 0}}},
		{"no rows", []EpochRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.rows)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			var got []EpochRow
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("Unmarshal %s: %v", data, err)
			}
			sameRows(t, got, tt.rows)
		})
	}
}

func TestEpochRowJSONForm(t *testing.T) {
	row := EpochRow{Epoch: 2, TrainLoss: 1.5, TrainAcc: 0.5, ValLoss: math.NaN(), ValAcc: math.NaN(), LR: 0.01, ImagesPerSec: math.Inf(1), Seconds: 60}
	data, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Epoch":2,"TrainLoss":1.5,"TrainAcc":0.5,"ValLoss":null,"ValAcc":null,"LR":0.01,"ImagesPerSec":"+Inf","Seconds":60}`
	if got := string(data); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestEpochRowJSONDefaultForm decodes the form that encoding/json writes for
// a struct without methods, which uses the same keys.
func TestEpochRowJSONDefaultForm(t *testing.T) {
	type plainRow struct {
		Epoch                                                           int
		TrainLoss, TrainAcc, ValLoss, ValAcc, LR, ImagesPerSec, Seconds float64
	}
	data, err := json.Marshal(plainRow{4, 1.25, 0.5, 1.5, 0.25, 0.001, 80, 30})
	if err != nil {
		t.Fatal(err)
	}
	var got EpochRow
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("Unmarshal %s: %v", data, err)
	}
	sameRows(t, []EpochRow{got}, []EpochRow{{4, 1.25, 0.5, 1.5, 0.25, 0.001, 80, 30}})
}

func TestEpochRowJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"string number", `{"Epoch":1,"TrainLoss":"1.5"}`, `invalid number "1.5"`},
		{"boolean", `{"Epoch":1,"LR":true}`, "invalid number true"},
		{"not an object", `[1,2]`, "decode epoch row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var row EpochRow
			err := json.Unmarshal([]byte(tt.data), &row)
			if err == nil {
				t.Fatalf("got no error for %s, want one containing %q", tt.data, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
