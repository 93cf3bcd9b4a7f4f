package dataset

import (
	"math"
	"math/rand/v2"
)

// randomResizedCrop picks a crop region the way torchvision.transforms.RandomResizedCrop
// (torchvision 0.14) does: up to 10 tries of an area fraction uniform in [scaleMin, scaleMax]
// and an aspect ratio (width/height) log-uniform in [ratioMin, ratioMax], placed uniformly.
// When no try fits inside the image, it falls back to the largest centred crop whose aspect
// ratio is clamped to the ratio range. Sizes are whole pixels, as in torchvision.
func randomResizedCrop(rng *rand.Rand, w, h int, scaleMin, scaleMax, ratioMin, ratioMax float64) region {
	area := float64(w * h)
	logMin, logMax := math.Log(ratioMin), math.Log(ratioMax)
	for try := 0; try < 10; try++ {
		target := area * (scaleMin + rng.Float64()*(scaleMax-scaleMin))
		aspect := math.Exp(logMin + rng.Float64()*(logMax-logMin))
		cw := int(math.Round(math.Sqrt(target * aspect)))
		ch := int(math.Round(math.Sqrt(target / aspect)))
		if cw > 0 && ch > 0 && cw <= w && ch <= h {
			x := rng.IntN(w - cw + 1)
			y := rng.IntN(h - ch + 1)
			return region{X: float64(x), Y: float64(y), W: float64(cw), H: float64(ch)}
		}
	}

	cw, ch := w, h
	switch aspect := float64(w) / float64(h); {
	case aspect < ratioMin:
		ch = max(1, int(math.Round(float64(w)/ratioMin)))
	case aspect > ratioMax:
		cw = max(1, int(math.Round(float64(h)*ratioMax)))
	}
	return region{X: float64((w - cw) / 2), Y: float64((h - ch) / 2), W: float64(cw), H: float64(ch)}
}

// centerCrop returns the square region that resizing the shorter side to size/cropFraction
// and then cropping size x size from the centre would keep, expressed in source pixels, so the
// resampler goes from source to output in one step. The region is not rounded to whole pixels.
func centerCrop(w, h int, cropFraction float64) region {
	side := cropFraction * float64(min(w, h))
	return region{X: (float64(w) - side) / 2, Y: (float64(h) - side) / 2, W: side, H: side}
}
