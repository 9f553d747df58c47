/*
 * plot/plot_report.h: the HTML report of `bpass plot` (index.html): one
 * table row per node with its sessions count, availability, bytes, the last
 * update seen and its plots as <img> tags with relative paths. Plain static
 * HTML that opens from the file system; a tiny inline script only sets the
 * page title to the number of images that loaded (the browser test reads it),
 * the page needs no script to be read.
 */
#ifndef PLOT_PLOT_REPORT_H
#define PLOT_PLOT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct plot_report_node {
	const char *id;             /* the node id as in the results */
	const char *file_id;        /* the id as used in plot file names */
	int64_t sessions;           /* -1 when unknown */
	double availability;        /* percent of [first, last seen] covered; < 0 unknown */
	int64_t bytes;              /* -1 when unknown */
	int64_t last_update_us;     /* INT64_MIN when unknown */
};

struct plot_report {
	const char *title;          /* e.g. "bpass report" */
	const char *results_dir;    /* shown in the header */
	const char *const *kinds;   /* plot kinds; each node has <file_id>_<kind>.png */
	const char *const *kind_titles;   /* column titles, one per kind */
	size_t nkinds;
	bool svg;                   /* link each image to its SVG twin */
	int width, height;          /* the plots' size, for the thumbnails' aspect ratio */
};

/* Writes the report to path (a temporary file renamed into place).
 * Returns 0, or -1 after printing why. */
int plot_report_write(const char *path, const struct plot_report *r,
		      const struct plot_report_node *nodes, size_t n);

/* Appends s to out with &, <, >, " and ' escaped for HTML text and attributes. */
struct buf;
void plot_report_escape(struct buf *out, const char *s);

/* "1.5 MB" style (powers of 1000) into out[32]; "-" for a negative value. */
void plot_report_bytes(int64_t bytes, char out[32]);

#endif
