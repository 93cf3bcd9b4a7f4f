// Package dataset turns a folder of image files into shuffled, augmented batches of float32
// samples in NCHW layout, the input of an image classifier. It is pure data: it imports no
// other package of this module, so the trainer, the commands and tests can all use it.
//
// # Sources
//
// A Source is a list of files with class labels. FromFolder reads the common layout with one
// subfolder per class, searched recursively. FromFlatFolder reads a single folder whose file
// names carry the class before the first '.', as Kaggle's Dogs vs. Cats does (cat.123.jpg).
// Class names are sorted by byte order, so label i is Classes[i] on every run and on every
// machine. Store Classes with a trained model to map predictions back to names. Hidden files
// and folders (names starting with '.', such as .DS_Store and .ipynb_checkpoints) and
// operating-system files (Thumbs.db, desktop.ini, __MACOSX) are ignored. Source.Split makes a
// training and a validation part, stratified by class and reproducible from a seed.
//
// # Decoding
//
// JPEG (baseline and progressive), PNG, GIF, BMP, TIFF and WebP are decoded, chosen by the
// file's content, never by its name. Every image becomes 3 channels, or 1 when Channels is 1,
// with samples in [0, 1]:
//
//   - 16-bit samples are divided by 65535, 8-bit samples by 255.
//   - Grayscale images are repeated into 3 channels; palette images are looked up.
//   - CMYK (Adobe JPEG) is converted with R = (1-C)(1-K) and likewise for G and B.
//   - Transparency rule: every pixel is composited on white, out = alpha*colour + 1 - alpha,
//     so a fully transparent pixel is white whatever colour it stores. Pillow's
//     convert("RGB"), which torchvision's ImageFolder uses, drops alpha and keeps that colour.
//   - The EXIF Orientation tag (values 1 to 8) of JPEG, PNG, WebP and TIFF files is applied, so
//     an image comes out as a photo viewer shows it. torchvision's default loader
//     (torchvision.datasets.folder.pil_loader) does not apply it.
//   - Lossy WebP stores limited-range YCbCr (Y in 16..235) and is converted as such.
//   - Channels 1 gives ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B, the weights of Pillow's
//     convert("L").
//   - An animated GIF gives its first frame. CMYK TIFF files are skipped because
//     golang.org/x/image/tiff cannot decode them.
//
// A file that cannot be decoded (empty, truncated, not an image, corrupt, or using a JPEG
// feature that Go's image/jpeg lacks) is skipped with a Skipped value that names the file and
// the reason. Decoding is always complete, because a truncated file often has a valid header.
// A file whose header claims more than 2^27 pixels is skipped before its pixels are allocated.
//
// # Pipelines
//
// The training pipeline (Config.Train) shuffles the samples each epoch, takes a random resized
// crop as torchvision's RandomResizedCrop does (area fraction in [ScaleMin, ScaleMax], default
// [0.08, 1]; aspect ratio in [RatioMin, RatioMax], default [3/4, 4/3]), flips it horizontally
// with probability 1/2 and normalizes it. The evaluation pipeline keeps source order, scales
// the shorter side to Size/CropFraction (256 for Size 224) and takes the centre Size x Size crop.
// Preprocess runs the evaluation pipeline on one file, for prediction.
//
// Each crop is resampled straight from the decoder's pixels in the source region to
// Size x Size in two separable passes, with no full-size float copy and no resized
// intermediate image. The filter is a triangle that is bilinear interpolation when enlarging
// and averages all covered source pixels when shrinking (antialiasing, like Pillow's bilinear
// resize). The largest buffer is the crop's rows times Size, so tiny (1x1) images, small ones
// and 20:1 strips all come out at the requested size.
//
// Normalization maps each channel to (v - Mean[c]) / Std[c]. The defaults are ImageNet's
// statistics, mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), which pretrained
// torchvision ResNets expect. Grayscale normalization rule: with Channels 1 the defaults are
// mean 0.449 and std 0.226, the averages of ImageNet's three channel values; torchvision has no
// grayscale default.
//
// # Loading
//
// A Loader runs Workers goroutines that decode and transform images and a collecting goroutine
// that restores epoch order and fills batches, with Prefetch batches kept ready. Shuffling and
// every random choice depend only on Config.Seed, the epoch and the sample, so the same seed
// and epoch give the same batches with any number of workers. A bad file is skipped and the
// batch is filled from the next files; Loader.Skipped lists every skipped file once, and a file
// that failed is not read again in later epochs. Batches are reused: a Batch returned by
// Iterator.Next is valid until the next call to Next or Close.
//
// With Config.CacheShortSide set, each decoded image is kept in memory, downscaled so its
// shorter side is at most CacheShortSide and stored as 8-bit samples. Later epochs then only
// crop and resample, which makes small data sets cheap to train for many epochs.
//
// # Reporting
//
// Scan fully decodes every file in parallel and returns a Report with the classes, the usable
// images per class, every skipped file with its reason, and warnings for classes without
// images and for imbalance (largest over smallest class above ImbalanceRatio, 1.5).
// Source.Without removes the skipped files, so a loader meets no bad files.
//
// A typical training setup:
//
//	src, err := dataset.FromFolder("data/train")
//	if err != nil {
//		return err
//	}
//	train, val, err := src.Split(0.2, 1)
//	if err != nil {
//		return err
//	}
//	report := dataset.Scan(train, 0)
//	report.Print(os.Stdout)
//	loader, err := dataset.NewLoader(train.Without(report.Skipped), dataset.Config{Size: 224, Train: true, Seed: 1})
//	if err != nil {
//		return err
//	}
//	for epoch := 0; epoch < epochs; epoch++ {
//		it := loader.Epoch(epoch)
//		for batch, ok := it.Next(); ok; batch, ok = it.Next() {
//			// batch.X contains batch.N x 3 x 224 x 224 samples, batch.Labels the classes.
//		}
//		it.Close()
//	}
package dataset
