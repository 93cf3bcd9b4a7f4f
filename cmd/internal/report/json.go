package report

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/pkg/errors"
)

// epochRowJSON is the JSON form of EpochRow. Its keys are the Go field
// names, as in the default encoding, so data written before EpochRow had
// its own methods still decodes.
type epochRowJSON struct {
	Epoch        int
	TrainLoss    jsonFloat
	TrainAcc     jsonFloat
	ValLoss      jsonFloat
	ValAcc       jsonFloat
	LR           jsonFloat
	ImagesPerSec jsonFloat
	Seconds      jsonFloat
}

// MarshalJSON encodes the row as an object keyed by the field names, like
// the default encoding. JSON numbers cannot represent NaN or infinities, so
// the default encoding fails on a run without a validation set. MarshalJSON
// writes NaN as null and infinities as the strings "+Inf" and "-Inf".
func (r EpochRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochRowJSON{
		Epoch:        r.Epoch,
		TrainLoss:    jsonFloat(r.TrainLoss),
		TrainAcc:     jsonFloat(r.TrainAcc),
		ValLoss:      jsonFloat(r.ValLoss),
		ValAcc:       jsonFloat(r.ValAcc),
		LR:           jsonFloat(r.LR),
		ImagesPerSec: jsonFloat(r.ImagesPerSec),
		Seconds:      jsonFloat(r.Seconds),
	})
}

// UnmarshalJSON decodes the form that MarshalJSON writes. A missing key
// leaves the zero value, as in the default decoding.
func (r *EpochRow) UnmarshalJSON(data []byte) error {
	var v epochRowJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return errors.Wrap(err, "decode epoch row")
	}
	*r = EpochRow{
		Epoch:        v.Epoch,
		TrainLoss:    float64(v.TrainLoss),
		TrainAcc:     float64(v.TrainAcc),
		ValLoss:      float64(v.ValLoss),
		ValAcc:       float64(v.ValAcc),
		LR:           float64(v.LR),
		ImagesPerSec: float64(v.ImagesPerSec),
		Seconds:      float64(v.Seconds),
	}
	return nil
}

// jsonFloat is a float64 whose JSON form is a number, null for NaN, or a
// string for an infinity.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte("null"), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "null":
		*f = jsonFloat(math.NaN())
		return nil
	case `"+Inf"`, `"Inf"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	}

	var v float64
	if err := json.Unmarshal(data, &v); err != nil {
		return errors.Errorf("invalid number %s (expected a JSON number, null, \"+Inf\" or \"-Inf\")", data)
	}
	*f = jsonFloat(v)
	return nil
}
