// Package report formats the output of a training run, for people and for
// later runs. It prints a settings table at start, a progress bar during an
// epoch and one fixed-width line per epoch. It writes the epoch rows to a CSV
// file, plots the loss and accuracy curves to a PNG file, and prints a
// confusion matrix.
//
// The package only formats numbers that the caller passes in. It does not
// import the model or the training loop, so any command can use it.
//
// A typical run:
//
//	report.PrintTable(os.Stdout, "Data", [][2]string{{"classes", "10"}, {"train images", "9,469"}})
//	report.EpochHeader(os.Stdout)
//	for epoch := 1; epoch <= epochs; epoch++ {
//		bar := report.NewProgress(os.Stderr, steps, fmt.Sprintf("epoch %d", epoch))
//		for step := 1; step <= steps; step++ {
//			// ... train one batch ...
//			bar.Update(step, imagesSoFar, meanLoss, meanAcc)
//		}
//		bar.Finish()
//		rows = append(rows, report.EpochRow{Epoch: epoch /* ... */})
//		report.EpochLine(os.Stdout, rows[len(rows)-1])
//		err := report.WriteCSV(csvPath, rows)
//		// ...
//		err = report.PlotPNG(pngPath, rows)
//		// ...
//	}
//	err := report.PrintConfusion(os.Stdout, classes, matrix)
//
// Accuracies are fractions in [0, 1] everywhere in the API. The text output
// prints them as percentages, and the CSV file stores the fractions. A NaN
// validation loss or accuracy means that the run has no validation set: the
// epoch line prints "-", the CSV file stores an empty field, and the plot
// leaves the point out. EpochRow encodes to JSON with NaN as null, so the
// rows can be stored in checkpoint metadata, which the default encoding of
// NaN would reject.
//
// WriteCSV and PlotPNG replace their file atomically. Each writes a
// temporary file in the same folder, syncs it to disk and renames it over
// the old file, so a crash or a full disk leaves either the old file or the
// new one, never a partial file. A crash can leave a hidden temporary file,
// named after the file with a ".tmp-" suffix, beside it.
//
// The progress bar redraws one line with a carriage return when it writes to
// a terminal. When it writes to a file or pipe, as in CI logs, it prints a
// full line at each 10% of the epoch or after 30 seconds without a line.
package report
