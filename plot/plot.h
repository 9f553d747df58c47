/*
 * plot/plot.h: `bpass plot`: reads the result tables of a run and draws,
 * per node and per kind, one PNG (and optionally one SVG) named
 * <node>_<kind>.png, then the HTML report index.html, all in one folder.
 *
 * Kinds: throughput (throughput.csv, availability.csv shaded behind), drops
 * (update_statistics.csv), sessions (sessions.csv, or the first and last
 * update of each session in update_statistics.csv), domains
 * (flow_domains_per_node.csv) and one kind per plugin table series_<name>.csv.
 * Every node found in any table gets every kind; a kind without data for the
 * node is a plot that says "no data". Absent tables and absent columns are
 * normal (the processor did not run); malformed ones are reported.
 *
 * Time-series tables are read one node at a time when they are grouped by
 * node (as bpass writes them), so memory stays at one node's series; a table
 * whose rows for a node are scattered is read a second time for those nodes.
 */
#ifndef PLOT_PLOT_H
#define PLOT_PLOT_H

#include <stdbool.h>

struct plot_options {
	const char *results_dir;   /* the folder of result CSV files */
	const char *out_dir;       /* created if missing */
	int width, height;         /* pixels of each plot */
	bool svg;                  /* also write <node>_<kind>.svg */
};

/* Draws every plot and the report. Returns 0, or -1 when something could not
 * be read or written (each problem is printed; everything else is still drawn). */
int plot_run(const struct plot_options *o);

/* Turns a node id or kind name into a file-name-safe string: letters,
 * digits, '.', '-' and '_' are kept, anything else becomes '_', and a
 * leading '.' becomes '_'. out holds at least strlen(in) + 1 bytes ("_" for ""). */
void plot_safe_name(const char *in, char *out);

#endif
