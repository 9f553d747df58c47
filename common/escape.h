/*
 * common/escape.h: quoting untrusted text (file and member names, node ids,
 * reasons that embed them) before it reaches a terminal or a message.
 *
 * A member called "a\e]0;x\a\n.gz" must not retitle the user's terminal or
 * forge a second message line. Escaped text is printable and unambiguous:
 *   \\ for a backslash, \n \r \t for those, \e for ESC,
 *   \xNN for every other control byte (0x00-0x1f, 0x7f), for a byte that is
 *   not part of valid UTF-8, and for each byte of a C1 control (U+0080 to
 *   U+009F, which some terminals obey like ESC sequences).
 * Printable ASCII and valid UTF-8 (other than C1 controls) pass unchanged,
 * so names in other scripts stay readable; double quotes are kept as they
 * are (messages quote names, and a quote cannot act on a terminal).
 */
#ifndef COMMON_ESCAPE_H
#define COMMON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends the escaped form of the NUL-terminated s to b. */
void escape_append(struct buf *b, const char *s);

/* Empties b, escapes s into it and returns b->data: for one argument of a
 * message, e.g. log_warn("... \"%s\"", escape_str(&tmp, name)). The result
 * lives in b until b changes. */
const char *escape_str(struct buf *b, const char *s);

/* True when s would come out of escape_append unchanged. */
bool escape_is_plain(const char *s);

#endif
