/*
 * ops/anonymize.h: anonymized copies of tarballs for publication (the
 * engine of `bpass anonymize`), as the server's scripts/anonymize_data.py
 * made them (update-format.md §6.6):
 *   - the node id is replaced by the lowercase hex md5 of it everywhere: in
 *     the tarball name, in member names, and in every text line before the
 *     anonymization signature line (in practice intro line 3, or line 1 of
 *     the unversioned format); an update whose own node id differs from the
 *     tarball's has its own id replaced by its own md5 as well;
 *   - updates whose signature is UNANONYMIZED are left out, and so are
 *     members that cannot be gunzipped or have no signature line (they cannot
 *     be checked, so they are not published);
 *   - the copy is named <md5(node)>_<date>_<time>_<md5 of the new tar>.tar.
 * Copies are deterministic (gzip without a time stamp, member times set to
 * the tarball's date), written under a temporary name, fsynced and renamed.
 * DST/.anonymize-manifest lists every source tarball already handled, so a
 * second run skips them; a crash between the rename and the manifest line
 * only makes the next run rebuild the identical file and record it.
 */
#ifndef OPS_ANONYMIZE_H
#define OPS_ANONYMIZE_H

struct anonymize_stats {
	unsigned long found;         /* tarballs of src looked at (0: failed before) */
	unsigned long tarballs;      /* copies written */
	unsigned long kept;          /* updates in them */
	unsigned long unanonymized;  /* UNANONYMIZED updates left out */
	unsigned long unreadable;    /* members left out: not gzip, no signature, too large */
	unsigned long already;       /* source tarballs copied by an earlier run */
	unsigned long skipped;       /* files not named like a tarball */
	unsigned long failures;      /* errors reported */
};

/*
 * Writes the anonymized copy of every tarball (*.tar) of src not copied
 * before into dst
 * (created when missing). A tarball that fails is reported and the others
 * go on. Fills st (zeroed first). Returns 0 when nothing failed, or -1
 * after printing why.
 */
int anonymize_run(const char *src, const char *dst, struct anonymize_stats *st);

#endif
