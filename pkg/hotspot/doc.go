// Package hotspot scores stored intelligence into H3 hexagon hotspots: it
// keeps a compact copy of the scoring facts of every live report in memory,
// in blocks of 28 days of observation time so that a query reads only the
// blocks its window overlaps, and answers any parameters exactly. It knows
// no HTTP and no SQL.
//
// # Score
//
// The score of cell c at time T with half-life H is
//
//	score(c) = Σ harm(cat_i) · q(grade_i) · 2^(−(T − t_i)/H)
//
// over the live reports i in c observed in [from, T] that pass the filters,
// where harm is the category's weight, q = source × assessment with
// 1→1.0, 2→0.7, 3→0.4 and A→1.0, B→0.85, C→0.6, D→0.4, E→0. Reports graded
// E (suspected false) never count: not in scores, not in report counts.
//
// # Significance
//
// Getis-Ord Gi* with binary weights over the H3 disk of radius k around
// each cell, the cell included, over the study area: every cell at the
// resolution that overlaps the service area, zeros included. With n study
// cells, mean x̄, S = sqrt(Σx²/n − x̄²), N_i the disk of i inside the study
// area and K_i = |N_i|:
//
//	z_i = (Σ_{j∈N_i} x_j − x̄·K_i) / (S · sqrt((n·K_i − K_i²)/(n − 1)))
//
// p is two-sided; a cell with z > 0 is a hot spot at 90, 95 or 99 %
// confidence when |z| ≥ 1.645, 1.96 or 2.576 (with FDR, when its p passes
// the Benjamini–Hochberg threshold at 0.10, 0.05 or 0.01 over all n cells).
// Cold spots (z < 0) get confidence 0: with mostly empty cells they carry
// no information.
//
// # Trend
//
// The window [from, T] is cut into periods (28 days by default) back from
// T; only whole periods count, at least one. Each period gets its own Gi*
// of the undecayed sum harm·q of its reports, and a cell is a hot spot in a
// period when that z > 0 with p < 0.10. A Mann–Kendall test on the cell's
// z series (p < 0.05) tells an upward or downward trend. Following ArcGIS
// Emerging Hot Spot Analysis:
//
//   - new: hot in the final period, never before;
//   - consecutive: one uninterrupted run of at least two hot periods
//     ending with the final one, never hot before the run, and hot in
//     less than 90 % of the periods;
//   - intensifying: hot in at least 90 % of the periods, the final one
//     included, with a significant upward trend;
//   - persistent: hot in at least 90 % of the periods, the final one
//     included, with no significant trend;
//   - diminishing: hot in at least 90 % of the periods, the final one
//     included, with a significant downward trend;
//   - sporadic: hot in the final period, on and off before it, in less
//     than 90 % of the periods;
//   - historical: not hot in the final period, but hot in at least 90 %
//     of the periods;
//   - none: anything else.
//
// # Suppression
//
// For callers who may not read raw reports, cells backed by fewer than a
// minimum number of distinct reports are left out. Suppression only hides
// cells: ranks, Gi* and trends are computed before it, so every shown cell
// carries exactly the numbers an analyst sees.
package hotspot
