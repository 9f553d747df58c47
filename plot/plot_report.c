/*
 * plot/plot_report.c: writes index.html, the static report of `bpass plot`.
 */
#include "plot_report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "atomic_file.h"
#include "buf.h"
#include "log.h"
#include "plot_draw.h"

void plot_report_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_putc(out, *s);
		}
	}
}

void plot_report_bytes(int64_t bytes, char out[32])
{
	if (bytes < 0) {
		snprintf(out, 32, "-");
		return;
	}
	static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
	double v = (double)bytes;
	size_t i = 0;
	while (v >= 1000 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(out, 32, "%lld B", (long long)bytes);
	else
		snprintf(out, 32, "%.1f %s", v, units[i]);
}

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse}"
	"th,td{border:1px solid #ccc;padding:6px 8px;vertical-align:top;text-align:left}"
	"th{background:#f0f0f0}"
	"td.num{text-align:right;white-space:nowrap}"
	"td.plots{border-top:none;padding-bottom:14px}"
	"td.plots img{margin:2px;border:1px solid #ddd;vertical-align:top}"
	"code{font-size:90%}";

/* Sets the title to "N/M images loaded" once the page has loaded; the
 * browser test reads it with --dump-dom. */
static const char script[] =
	"<script>window.addEventListener('load',function(){"
	"var a=document.images,n=0;"
	"for(var i=0;i<a.length;i++)if(a[i].complete&&a[i].naturalWidth>0)n++;"
	"document.title=n+'/'+a.length+' images loaded';"
	"document.body.setAttribute('data-images-loaded',n+'/'+a.length);});</script>";

int plot_report_write(const char *path, const struct plot_report *r,
		      const struct plot_report_node *nodes, size_t n)
{
	struct buf h;
	buf_init(&h);
	char now[32];
	plot_time_format((int64_t)time(NULL) * PLOT_US_PER_S, now);

	buf_puts(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	plot_report_escape(&h, r->title);
	buf_printf(&h, "</title>\n<style>%s</style>\n%s\n</head>\n<body>\n<h1>", style, script);
	plot_report_escape(&h, r->title);
	buf_puts(&h, "</h1>\n<p>");
	buf_printf(&h, "%zu node%s, generated %s UTC", n, n == 1 ? "" : "s", now);
	if (r->results_dir) {
		buf_puts(&h, " from <code>");
		plot_report_escape(&h, r->results_dir);
		buf_puts(&h, "</code>");
	}
	buf_puts(&h, ". Availability is the share of the time between the first and the last "
		     "data seen that the node was reporting. Click a plot for full size.</p>\n");
	if (!n)
		buf_puts(&h, "<p>No node has any results yet.</p>\n");
	buf_puts(&h, "<table>\n<thead><tr><th>node</th><th>sessions</th><th>availability</th>"
		     "<th>bytes</th><th>last update (UTC)</th></tr></thead>\n<tbody>\n");
	int thumb_w = 360;
	int thumb_h = r->width > 0 ? (int)((double)thumb_w * r->height / r->width + 0.5) : 180;
	for (size_t i = 0; i < n; i++) {
		const struct plot_report_node *p = &nodes[i];
		buf_puts(&h, "<tr id=\"node-");
		plot_report_escape(&h, p->file_id);
		buf_puts(&h, "\"><td><b>");
		plot_report_escape(&h, p->id);
		buf_puts(&h, "</b></td><td class=\"num\">");
		if (p->sessions >= 0)
			buf_put_i64(&h, p->sessions);
		else
			buf_puts(&h, "-");
		buf_puts(&h, "</td><td class=\"num\">");
		if (p->availability >= 1 || p->availability == 0)
			buf_printf(&h, "%.1f %%", p->availability);
		else if (p->availability > 0)   /* sparse nodes: two significant digits */
			buf_printf(&h, "%.2g %%", p->availability);
		else
			buf_puts(&h, "-");
		char bytes[32];
		plot_report_bytes(p->bytes, bytes);
		buf_puts(&h, "</td><td class=\"num\"");
		if (p->bytes >= 0)
			buf_printf(&h, " title=\"%lld bytes\"", (long long)p->bytes);
		buf_printf(&h, ">%s</td><td class=\"num\">", bytes);
		if (p->last_update_us != INT64_MIN) {
			char iso[32];
			plot_time_format(p->last_update_us, iso);
			buf_puts(&h, iso);
		} else {
			buf_puts(&h, "-");
		}
		buf_puts(&h, "</td></tr>\n<tr><td class=\"plots\" colspan=\"5\">");
		for (size_t k = 0; k < r->nkinds; k++) {
			struct buf name;
			buf_init(&name);
			plot_report_escape(&name, p->file_id);
			buf_putc(&name, '_');
			plot_report_escape(&name, r->kinds[k]);
			buf_printf(&h, "<a href=\"%s.%s\"><img src=\"%s.png\" width=\"%d\" height=\"%d\" alt=\"",
				   name.data, r->svg ? "svg" : "png", name.data, thumb_w, thumb_h);
			plot_report_escape(&h, r->kind_titles[k]);
			buf_puts(&h, " of ");
			plot_report_escape(&h, p->id);
			buf_puts(&h, "\" title=\"");
			plot_report_escape(&h, r->kind_titles[k]);
			buf_puts(&h, "\"></a>");
			buf_release(&name);
		}
		buf_puts(&h, "</td></tr>\n");
	}
	buf_puts(&h, "</tbody>\n</table>\n</body>\n</html>\n");

	/* Not fsynced: the report is made again from the tables at will. */
	int rc = atomic_file_write(path, h.data, h.len, "report",
				   ATOMIC_FILE_NO_FSYNC | ATOMIC_FILE_DEFER_DIRSYNC);
	buf_release(&h);
	return rc;
}
