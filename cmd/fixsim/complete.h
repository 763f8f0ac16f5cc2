/*
 * complete.h -- fixsim console's view of the dictionary, and completion.
 *
 * Fields and messages are found by tag or MsgType, by name, and by name
 * in any case.  The fields a message type may carry are found once, by
 * probing fixu_dict_layout(), and kept in the struct con until
 * complete_fini().  The candidates for a word of a line are strings a
 * struct cands owns.
 */
#ifndef FIXSIM_COMPLETE_H
#define FIXSIM_COMPLETE_H

#include <stddef.h>
#include <stdint.h>

#include "console.h"

struct cands {
	char	**v;
	size_t	  n, cap;
	int	  noappend;	/* all are "Field=" */
};

/* A field by tag number or by name, exact or else in any case. */
const struct fixu_dfield *complete_field_key(struct con *, const char *k,
	    size_t n, uint32_t *tag);
/* A message type by name (any case) or by its MsgType value. */
const struct fixu_dmsg *complete_msg_key(struct con *, const char *k,
	    size_t n);
/* May message type carry tag?  1 without a dictionary. */
int	complete_msg_has(struct con *, const char *type, uint32_t tag);
/* The candidates for the word that ends at end in l, sorted, each once. */
void	complete_line(struct con *, const char *l, size_t end,
	    struct cands *);
/* --complete LINE: the candidates, one a line on stdout; an exit status. */
int	complete_print(struct con *, const char *line);
void	complete_cands_free(struct cands *);
/* Free what was found and kept. */
void	complete_fini(struct con *);

#endif
