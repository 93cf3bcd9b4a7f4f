package dataset

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"text/tabwriter"
)

// ImbalanceRatio is the ratio of the largest to the smallest non-empty class above which Scan
// warns, because a classifier trained on such data favours the larger classes.
const ImbalanceRatio = 1.5

// Report is the result of Scan.
type Report struct {
	Classes []string
	// Counts contains the number of images of each class that decode, indexed like Classes.
	Counts []int
	// Skipped lists every file that cannot be used, with the reason, in source order.
	Skipped []Skipped
	// Warnings are problems that do not stop training: empty classes and class imbalance.
	Warnings []string
}

// Scan fully decodes every file of s with the given number of goroutines (0 means one per
// CPU) and reports the classes, the usable images per class and every file that failed.
// A full decode is needed because a truncated file often has a valid header.
func Scan(s *Source, workers int) *Report {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	reasons := make([]string, len(s.Samples))
	next := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for idx := range next {
				if _, err := decodeFile(s.Samples[idx].Path, &buf); err != nil {
					reasons[idx] = err.Error()
				}
			}
		}()
	}
	for idx := range s.Samples {
		next <- idx
	}
	close(next)
	wg.Wait()

	rep := &Report{
		Classes: append([]string(nil), s.Classes...),
		Counts:  make([]int, len(s.Classes)),
		Skipped: append([]Skipped(nil), s.Skipped...),
	}
	for idx, smp := range s.Samples {
		if reasons[idx] != "" {
			rep.Skipped = append(rep.Skipped, Skipped{Path: smp.Path, Reason: reasons[idx]})
			continue
		}
		rep.Counts[smp.Label]++
	}
	rep.Warnings = classWarnings(rep.Classes, rep.Counts)
	return rep
}

// classWarnings reports classes without usable images and a largest/smallest ratio over ImbalanceRatio.
func classWarnings(classes []string, counts []int) []string {
	var warnings []string
	largest, smallest := -1, -1
	for i, n := range counts {
		if n == 0 {
			warnings = append(warnings, fmt.Sprintf("class %q has no usable images: add images or remove its folder", classes[i]))
			continue
		}
		if largest < 0 || n > counts[largest] {
			largest = i
		}
		if smallest < 0 || n < counts[smallest] {
			smallest = i
		}
	}
	if smallest >= 0 {
		ratio := float64(counts[largest]) / float64(counts[smallest])
		if ratio > ImbalanceRatio {
			warnings = append(warnings, fmt.Sprintf("classes are imbalanced: %q has %d images and %q has %d (ratio %.1f, over %.1f); "+
				"consider class weights in the loss or oversampling the smaller classes",
				classes[largest], counts[largest], classes[smallest], counts[smallest], ratio, ImbalanceRatio))
		}
	}
	return warnings
}

// Total returns the number of usable images.
func (r *Report) Total() int {
	total := 0
	for _, n := range r.Counts {
		total += n
	}
	return total
}

// Print writes the report as a table of classes and counts, then the skipped files and the warnings.
func (r *Report) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "label\tclass\timages\t\n")
	for i, class := range r.Classes {
		fmt.Fprintf(tw, "%d\t%s\t%d\t\n", i, class, r.Counts[i])
	}
	fmt.Fprintf(tw, "\ttotal\t%d\t\n", r.Total())
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "skipped %d file(s), which will not be used (re-save the images with an image editor, or delete the files):\n", len(r.Skipped))
		for _, sk := range r.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", sk.Path, sk.Reason)
		}
	}
	for _, warning := range r.Warnings {
		if _, err := fmt.Fprintf(w, "warning: %s\n", warning); err != nil {
			return err
		}
	}
	return nil
}
