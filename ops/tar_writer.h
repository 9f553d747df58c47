/*
 * ops/tar_writer.h: writing an uncompressed tar file with libarchive, for
 * the tarballs that collect and anonymize produce.
 *
 * The archive is pax restricted: plain ustar headers unless a name needs
 * more. The file is created with O_EXCL | O_NOFOLLOW (never over an existing
 * file, never through a symbolic link) in a folder given as a descriptor, so
 * the writer cannot be led outside that folder. Calling sequence:
 *
 *   struct tar_writer *t = tar_writer_create(dirfd, ".x.tar.tmp", "dir/.x.tar.tmp");
 *   tar_writer_add(t, "member.gz", data, len, mtime);   (repeat)
 *   tar_writer_close(t);     (complete and synced)  or  tar_writer_abort(t);
 *
 * Messages name the tarball (and the member), with the system's reason,
 * e.g. could not write "a.gz" into tarball "u/.a.tar.tmp": No space left on
 * device. On failure the unfinished file is removed.
 */
#ifndef OPS_TAR_WRITER_H
#define OPS_TAR_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tar_writer;

/*
 * Creates the file name in the folder dirfd (AT_FDCWD: name is a path of
 * its own); path names it in messages. dirfd is borrowed and must stay open
 * until tar_writer_close or tar_writer_abort. Returns the writer, or NULL
 * after printing why (errno set).
 */
struct tar_writer *tar_writer_create(int dirfd, const char *name, const char *path);

/* Whether name can be a member name: not empty and valid UTF-8 (no
 * overlong form, surrogate or code point past U+10FFFF). A name past ASCII
 * is stored as UTF-8 in a pax record (it needs the C.UTF-8 locale on the
 * system, else only ASCII names are accepted); a name that is not UTF-8 has
 * no faithful pax form. */
bool tar_writer_name_ok(const char *name);

/* Adds a regular member name (tar_writer_name_ok, else -1 with EILSEQ) of
 * len bytes with modification time mtime. Returns 0, or -1 after printing
 * why (errno set; the writer must then be aborted). */
int tar_writer_add(struct tar_writer *t, const char *name, const void *data, size_t len,
		   int64_t mtime);

/* Finishes the archive, fsyncs and closes the file. Returns 0, or -1 after
 * printing why (errno set; the file is removed). Frees t either way. */
int tar_writer_close(struct tar_writer *t);

/* Closes and removes the unfinished file and frees t. NULL is a no-op. */
void tar_writer_abort(struct tar_writer *t);

#endif
