package report

import (
	"image/color"
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

const (
	// plotDPI converts the plot size from points to pixels.
	plotDPI = 96

	// PlotWidth and PlotHeight are the size of the PlotPNG image in pixels.
	PlotWidth  = 900
	PlotHeight = 400
)

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255} // blue
	valColor   = color.RGBA{R: 255, G: 127, B: 14, A: 255} // orange
)

// PlotPNG replaces the file at path with a PlotWidth x PlotHeight PNG image of
// two panels: training and validation loss per epoch on the left, training
// and validation accuracy in percent on the right. Points with a NaN or
// infinite value are left out, and a series with no points is left out of
// the legend. A single epoch is drawn as single points. The file is written
// atomically like WriteCSV. Epoch numbers must be strictly increasing.
func PlotPNG(path string, rows []EpochRow) error {
	if len(rows) == 0 {
		return errors.Errorf("plot %s: no epoch rows to plot (call PlotPNG after the first epoch)", path)
	}
	for i := range rows {
		if err := checkEpoch(rows, i); err != nil {
			return errors.Wrapf(err, "plot %s: row %d", path, i+1)
		}
	}

	lossPlot, err := newCurvePlot("Loss", "mean cross-entropy", rows,
		func(r EpochRow) float64 { return r.TrainLoss },
		func(r EpochRow) float64 { return r.ValLoss })
	if err != nil {
		return errors.Wrapf(err, "plot %s: loss panel", path)
	}
	// Cross-entropy is never negative, so the axis starts at 0 to show how
	// far the loss has fallen. The 10% headroom keeps the highest point off
	// the frame.
	lossPlot.Y.Min = math.Min(lossPlot.Y.Min, 0)
	if math.IsInf(lossPlot.Y.Max, -1) {
		// No finite loss was added, so the axis has no data range.
		lossPlot.Y.Max = 1
	}
	lossPlot.Y.Max += 0.1 * (lossPlot.Y.Max - lossPlot.Y.Min)
	placeLegend(lossPlot, rows[len(rows)-1].TrainLoss, rows[len(rows)-1].ValLoss)

	accPlot, err := newCurvePlot("Accuracy", "accuracy (%)", rows,
		func(r EpochRow) float64 { return 100 * r.TrainAcc },
		func(r EpochRow) float64 { return 100 * r.ValAcc })
	if err != nil {
		return errors.Wrapf(err, "plot %s: accuracy panel", path)
	}
	accPlot.Y.Min = 0
	accPlot.Y.Max = 100
	placeLegend(accPlot, 100*rows[len(rows)-1].TrainAcc, 100*rows[len(rows)-1].ValAcc)

	width := vg.Length(PlotWidth) * vg.Inch / plotDPI
	height := vg.Length(PlotHeight) * vg.Inch / plotDPI
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(plotDPI))
	canvas := draw.New(img)
	tiles := draw.Tiles{
		Rows: 1, Cols: 2,
		PadTop: vg.Points(6), PadBottom: vg.Points(6),
		PadLeft: vg.Points(6), PadRight: vg.Points(10),
		PadX: vg.Points(24),
	}
	panels := plot.Align([][]*plot.Plot{{lossPlot, accPlot}}, tiles, canvas)
	lossPlot.Draw(panels[0][0])
	accPlot.Draw(panels[0][1])

	return writeFileAtomic(path, func(w io.Writer) error {
		if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
			return errors.Wrapf(err, "encode PNG for %s", path)
		}
		return nil
	})
}

// newCurvePlot returns a panel with the training and validation series of
// rows, as lines with point markers, and integer epoch ticks on the x axis.
func newCurvePlot(title, yLabel string, rows []EpochRow, train, val func(EpochRow) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = niceTicker{maxTicks: 10, integer: true}
	p.Y.Tick.Marker = niceTicker{maxTicks: 6}
	p.Add(plotter.NewGrid())

	series := []struct {
		name  string
		value func(EpochRow) float64
		color color.Color
		dash  []vg.Length
	}{
		{"train", train, trainColor, nil},
		{"validation", val, valColor, []vg.Length{vg.Points(5), vg.Points(3)}},
	}
	for _, s := range series {
		points := finitePoints(rows, s.value)
		if len(points) == 0 {
			continue
		}
		line, scatter, err := plotter.NewLinePoints(points)
		if err != nil {
			return nil, errors.Wrapf(err, "%s series", s.name)
		}
		line.Color = s.color
		line.Width = vg.Points(1.5)
		line.Dashes = s.dash
		scatter.Color = s.color
		scatter.Shape = draw.CircleGlyph{}
		scatter.Radius = vg.Points(2.5)
		p.Add(line, scatter)
		p.Legend.Add(s.name, line, scatter)
	}

	// Leave half an epoch of room on both sides so that the first and last
	// points do not sit on the frame.
	p.X.Min = float64(rows[0].Epoch) - 0.5
	p.X.Max = float64(rows[len(rows)-1].Epoch) + 0.5
	return p, nil
}

// placeLegend puts the legend of p in its right corner on the side away from
// the last values, which are the points nearest that corner. Legend entries
// otherwise hide the end of the curves.
func placeLegend(p *plot.Plot, lastValues ...float64) {
	sum, n := 0.0, 0
	for _, v := range lastValues {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += v
			n++
		}
	}
	p.Legend.Top = true
	if n > 0 && p.Y.Max > p.Y.Min {
		middle := (p.Y.Min + p.Y.Max) / 2
		p.Legend.Top = sum/float64(n) < middle
	}
}

// finitePoints returns (epoch, value) for each row whose value is finite.
func finitePoints(rows []EpochRow, value func(EpochRow) float64) plotter.XYs {
	points := make(plotter.XYs, 0, len(rows))
	for _, r := range rows {
		v := value(r)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		points = append(points, plotter.XY{X: float64(r.Epoch), Y: v})
	}
	return points
}

// niceTicker places at most maxTicks ticks at multiples of the smallest step
// of 1, 2 or 5 times a power of ten that fits. With integer set, the step is
// at least 1, for epoch numbers.
type niceTicker struct {
	maxTicks int
	integer  bool
}

func (t niceTicker) Ticks(low, high float64) []plot.Tick {
	if !(high > low) || math.IsInf(high-low, 0) {
		return nil
	}
	// The tolerance keeps the tick at a bound such as 0.3, where 0.3/0.1
	// is 2.9999999999999996 in float64.
	first := func(step float64) float64 { return math.Ceil(low/step - 1e-9) }
	last := func(step float64) float64 { return math.Floor(high/step + 1e-9) }
	count := func(step float64) int { return int(last(step) - first(step) + 1) }

	// Start at the power of ten at or below the mean spacing and grow the
	// step until the ticks fit.
	scale := math.Pow(10, math.Floor(math.Log10((high-low)/float64(t.maxTicks))))
	if t.integer {
		scale = math.Max(scale, 1)
	}
	step := scale
	for count(step) > t.maxTicks {
		for _, m := range []float64{2, 5, 10} {
			step = m * scale
			if count(step) <= t.maxTicks {
				break
			}
		}
		scale *= 10
	}

	decimals := 0
	if step < 1 {
		decimals = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	var ticks []plot.Tick
	for i := first(step); i <= last(step); i++ {
		value := i * step
		if value == 0 {
			value = 0 // print "0", not "-0"
		}
		ticks = append(ticks, plot.Tick{Value: value, Label: strconv.FormatFloat(value, 'f', decimals, 64)})
	}
	return ticks
}
