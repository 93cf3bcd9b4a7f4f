package dataset

import (
	"runtime"

	"github.com/pkg/errors"
)

// Per-channel RGB mean and standard deviation of the ImageNet training set, as torchvision's
// pretrained ResNets expect their inputs normalized.
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// Grayscale defaults: the averages of ImageNet's three channel values. A grayscale model
// trained from scratch may pass the mean and std of its own data instead.
var (
	GrayMean = []float32{0.449}
	GrayStd  = []float32{0.226}
)

// Config sets up a Loader. The zero value of every field means the default in its comment.
type Config struct {
	// Size is the side of the square output images in pixels. Default 224.
	Size int
	// Channels is 3 for RGB or 1 for grayscale (BT.601 luma). Default 3.
	Channels int
	// BatchSize is the number of images per batch. Default 32.
	BatchSize int
	// Workers is the number of goroutines that decode and transform images. Default runtime.NumCPU().
	Workers int
	// Prefetch is the number of finished batches kept ready ahead of the caller. Default 2.
	Prefetch int

	// Train selects the training pipeline (shuffle, random resized crop, horizontal flip).
	// Otherwise the evaluation pipeline runs: source order, shorter side resized to
	// Size/CropFraction, centre crop.
	Train bool
	// DropLast leaves out the last batch of an epoch when it has fewer than BatchSize images.
	DropLast bool
	// NoFlip turns off the random horizontal flip of the training pipeline, for data where
	// left and right differ (text, digits).
	NoFlip bool

	// Mean and Std normalize each output channel to (v - Mean[c]) / Std[c], with v in [0, 1].
	// They need Channels values each. Default ImageNetMean and ImageNetStd for 3 channels,
	// GrayMean and GrayStd for 1.
	Mean, Std []float32

	// Seed makes shuffling and augmentation reproducible: the same Seed and epoch give the same
	// batches whatever the number of workers. Default 0.
	Seed int64

	// CacheShortSide, when positive, keeps every decoded image in memory, downscaled so its
	// shorter side is at most CacheShortSide pixels, stored as 8-bit samples. Later epochs then
	// skip file reading and decoding. Crops are taken from the cached copy, so it must be at
	// least Size; Size/CropFraction or more keeps evaluation crops at full detail.
	// A cached image takes width*height*channels bytes at its cached size, with one channel
	// for grayscale sources. Default 0, no cache.
	CacheShortSide int

	// ScaleMin and ScaleMax bound the area of a random resized crop as a fraction of the image
	// area. Default 0.08 and 1, as in torchvision.
	ScaleMin, ScaleMax float64
	// RatioMin and RatioMax bound the aspect ratio (width/height) of a random resized crop.
	// Default 3/4 and 4/3, as in torchvision.
	RatioMin, RatioMax float64
	// CropFraction is the share of the resized shorter side that the evaluation centre crop
	// keeps. Default 0.875, so Size 224 resizes the shorter side to 256, as torchvision's
	// ImageNet evaluation does.
	CropFraction float64

	// OnSkip, when set, is called once for each file that the loader skips, the first time it
	// fails, from the loader's collecting goroutine. Default none; Loader.Skipped lists them all.
	OnSkip func(Skipped)
}

// withDefaults returns a copy of c with zero fields set to their defaults, or an error naming
// the first invalid field.
func (c Config) withDefaults() (Config, error) {
	setDefault(&c.Size, 224)
	setDefault(&c.Channels, 3)
	setDefault(&c.BatchSize, 32)
	setDefault(&c.Workers, runtime.NumCPU())
	setDefault(&c.Prefetch, 2)
	setDefault(&c.ScaleMin, 0.08)
	setDefault(&c.ScaleMax, 1)
	setDefault(&c.RatioMin, 3.0/4)
	setDefault(&c.RatioMax, 4.0/3)
	setDefault(&c.CropFraction, 0.875)

	switch {
	case c.Size < 0:
		return c, errors.Errorf("Size %d is invalid: use a positive output side in pixels, such as 224", c.Size)
	case c.Channels != 1 && c.Channels != 3:
		return c, errors.Errorf("Channels %d is invalid: use 3 for RGB or 1 for grayscale", c.Channels)
	case c.BatchSize < 0:
		return c, errors.Errorf("BatchSize %d is invalid: use a positive number of images", c.BatchSize)
	case c.Workers < 0:
		return c, errors.Errorf("Workers %d is invalid: use a positive number of goroutines, or 0 for one per CPU", c.Workers)
	case c.Prefetch < 0:
		return c, errors.Errorf("Prefetch %d is invalid: use a positive number of batches, or 0 for the default 2", c.Prefetch)
	case c.CacheShortSide < 0:
		return c, errors.Errorf("CacheShortSide %d is invalid: use 0 for no cache or a side of at least Size (%d)", c.CacheShortSide, c.Size)
	case c.CacheShortSide > 0 && c.CacheShortSide < c.Size:
		return c, errors.Errorf("CacheShortSide %d is smaller than Size %d, so crops would be upscaled: use at least %d, or 0 for no cache", c.CacheShortSide, c.Size, c.Size)
	case !(c.ScaleMin > 0 && c.ScaleMin <= c.ScaleMax && c.ScaleMax <= 1):
		return c, errors.Errorf("crop scale range [%v, %v] is invalid: use 0 < ScaleMin <= ScaleMax <= 1, such as 0.08 and 1", c.ScaleMin, c.ScaleMax)
	case !(c.RatioMin > 0 && c.RatioMin <= c.RatioMax):
		return c, errors.Errorf("crop aspect ratio range [%v, %v] is invalid: use 0 < RatioMin <= RatioMax, such as 0.75 and 1.333", c.RatioMin, c.RatioMax)
	case !(c.CropFraction > 0 && c.CropFraction <= 1):
		return c, errors.Errorf("CropFraction %v is invalid: use a value in (0, 1], such as 0.875", c.CropFraction)
	}

	if c.Mean == nil && c.Std == nil {
		c.Mean, c.Std = ImageNetMean, ImageNetStd
		if c.Channels == 1 {
			c.Mean, c.Std = GrayMean, GrayStd
		}
	}
	// Copies keep the loader independent of later changes to the caller's slices or the package defaults.
	c.Mean = append([]float32(nil), c.Mean...)
	c.Std = append([]float32(nil), c.Std...)
	if len(c.Mean) != c.Channels || len(c.Std) != c.Channels {
		return c, errors.Errorf("Mean %v and Std %v need %d values each, one per channel", c.Mean, c.Std, c.Channels)
	}
	for i, s := range c.Std {
		if !(s > 0) {
			return c, errors.Errorf("Std[%d] = %v is invalid: standard deviations must be positive", i, s)
		}
	}
	return c, nil
}

func setDefault[T int | float64](field *T, value T) {
	if *field == 0 {
		*field = value
	}
}
