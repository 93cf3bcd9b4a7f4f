package report

import (
	"encoding/csv"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// csvHeader is the first line of the epoch CSV file. Accuracies are stored as
// fractions in [0, 1] and the learning rate as a plain number.
var csvHeader = []string{
	"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "images_per_sec", "seconds",
}

// WriteCSV replaces the file at path with a CSV file of rows under a header
// line. The file is written to a temporary file in the same folder, synced and
// renamed, so a crash leaves the old file or the new one. Floats are written
// with the shortest representation that reads back to the same value, and NaN
// as an empty field. Epoch numbers must be positive and strictly increasing,
// which ReadCSV checks too.
func WriteCSV(path string, rows []EpochRow) error {
	for i, row := range rows {
		if row.Epoch <= 0 {
			return errors.Errorf("write %s: row %d: epoch %d is not positive (epochs are numbered from 1)", path, i+1, row.Epoch)
		}
		if err := checkEpoch(rows, i); err != nil {
			return errors.Wrapf(err, "write %s: row %d", path, i+1)
		}
	}

	return writeFileAtomic(path, func(w io.Writer) error {
		out := csv.NewWriter(w)
		if err := out.Write(csvHeader); err != nil {
			return errors.Wrapf(err, "write %s", path)
		}
		for _, row := range rows {
			if err := out.Write(formatCSVRow(row)); err != nil {
				return errors.Wrapf(err, "write %s", path)
			}
		}
		out.Flush()
		if err := out.Error(); err != nil {
			return errors.Wrapf(err, "write %s", path)
		}
		return nil
	})
}

// checkEpoch returns an error when rows[i] does not follow rows[i-1] with a
// larger epoch number.
func checkEpoch(rows []EpochRow, i int) error {
	if i == 0 || rows[i].Epoch > rows[i-1].Epoch {
		return nil
	}
	return errors.Errorf("epoch %d does not follow epoch %d (epochs must be strictly increasing, so remove or renumber the row)",
		rows[i].Epoch, rows[i-1].Epoch)
}

func formatCSVRow(row EpochRow) []string {
	return []string{
		strconv.Itoa(row.Epoch),
		formatCSVFloat(row.TrainLoss),
		formatCSVFloat(row.TrainAcc),
		formatCSVFloat(row.ValLoss),
		formatCSVFloat(row.ValAcc),
		formatCSVFloat(row.LR),
		formatCSVFloat(row.ImagesPerSec),
		formatCSVFloat(row.Seconds),
	}
}

func formatCSVFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ReadCSV reads the epoch rows of a file written by WriteCSV, for example to
// continue the history of a resumed run. The header must match the one that
// WriteCSV writes. An empty field reads as NaN. Errors name the file and the
// line. A file with only the header returns no rows and no error.
func ReadCSV(path string) ([]EpochRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrapf(err, "open epoch CSV file %s", path)
	}
	defer f.Close()

	// The field count is checked below, so that a wrong header gets a
	// message about the header.
	in := csv.NewReader(f)
	in.FieldsPerRecord = -1
	in.ReuseRecord = true

	header, err := in.Read()
	if err == io.EOF {
		return nil, errors.Errorf("%s: file is empty, expected a header line %q", path, strings.Join(csvHeader, ","))
	}
	if err != nil {
		return nil, errors.Wrapf(err, "%s: read header", path)
	}
	// Editors that save as "UTF-8 with BOM" put U+FEFF before the header.
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	if got := strings.Join(header, ","); got != strings.Join(csvHeader, ",") {
		line, _ := in.FieldPos(0)
		return nil, errors.Errorf("%s:%d: invalid header %q, expected %q as written by WriteCSV",
			path, line, got, strings.Join(csvHeader, ","))
	}

	var rows []EpochRow
	for {
		record, err := in.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// csv.ParseError already states the line and column.
			return nil, errors.Wrapf(err, "%s", path)
		}
		line, _ := in.FieldPos(0)
		if len(record) != len(csvHeader) {
			return nil, errors.Errorf("%s:%d: found %d fields, expected %d as in the header", path, line, len(record), len(csvHeader))
		}

		row, err := parseCSVRow(record)
		if err != nil {
			return nil, errors.Wrapf(err, "%s:%d", path, line)
		}
		rows = append(rows, row)
		if err := checkEpoch(rows, len(rows)-1); err != nil {
			return nil, errors.Wrapf(err, "%s:%d", path, line)
		}
	}
	return rows, nil
}

// parseCSVRow converts the fields of one data line, in csvHeader order.
func parseCSVRow(record []string) (EpochRow, error) {
	epoch, err := strconv.Atoi(strings.TrimSpace(record[0]))
	if err != nil {
		return EpochRow{}, errors.Errorf("column epoch: invalid integer %q", record[0])
	}
	if epoch <= 0 {
		return EpochRow{}, errors.Errorf("column epoch: epoch %d is not positive (epochs are numbered from 1)", epoch)
	}

	values := make([]float64, len(record)-1)
	for i, field := range record[1:] {
		field = strings.TrimSpace(field)
		if field == "" {
			values[i] = math.NaN()
			continue
		}
		v, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return EpochRow{}, errors.Errorf("column %s: invalid number %q", csvHeader[i+1], field)
		}
		values[i] = v
	}

	return EpochRow{
		Epoch:        epoch,
		TrainLoss:    values[0],
		TrainAcc:     values[1],
		ValLoss:      values[2],
		ValAcc:       values[3],
		LR:           values[4],
		ImagesPerSec: values[5],
		Seconds:      values[6],
	}, nil
}
