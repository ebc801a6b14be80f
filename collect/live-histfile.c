/*
 * The statements of a shell start-up file that decide where history goes:
 * HISTFILE assignments (export, declare, quotes), unset HISTFILE, a size
 * of zero (HISTSIZE, HISTFILESIZE, SAVEHIST) and set +o history. A small
 * word splitter, not a shell: nothing is run, sourced files are not read.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "live.h"
#include "live-histories.h"

#define LIVE_STATEMENT_TEXT_MAX	256	/* of a line kept in a statement */

/* Where the splitter is in a line, and what it has seen of the command. */
struct live_words {
	const char	*file;
	size_t		 line;
	const char	*text;		/* the line, for the record */
	size_t		 text_len;
	json_t		*statements;
	char		 word[LIVE_WORD_MAX + 1];
	size_t		 len;
	bool		 long_word;	/* longer than LIVE_WORD_MAX */
	bool		 literal;	/* its start was single-quoted */
	bool		 started;
	int		 command;	/* 0, 'u' after unset, 's' after set, 'o' after set +o */
};

/* Record one statement of the given kind. */
static void
live_words_emit(struct live_words *w, const char *kind, const char *value)
{
	size_t len = w->text_len < LIVE_STATEMENT_TEXT_MAX ? w->text_len :
	    LIVE_STATEMENT_TEXT_MAX;
	json_t *s = json_pack("{s:o,s:I,s:s,s:o}", "file",
	    live_string(w->file, strlen(w->file)), "line", (json_int_t)w->line,
	    "kind", kind, "text", live_string(w->text, len));

	if (s == NULL)
		return;
	if (value != NULL) {
		json_object_set_new(s, "value", w->long_word ? json_null() :
		    live_string(value, strlen(value)));
		json_object_set_new(s, "literal", json_boolean(w->literal));
		if (w->long_word)
			json_object_set_new(s, "too_long", json_true());
	}
	json_array_append_new(w->statements, s);
}

/* True when a word assigns zero to one of the history sizes. */
static bool
live_words_size_zero(const char *word)
{
	return strcmp(word, "HISTSIZE=0") == 0 ||
	    strcmp(word, "HISTFILESIZE=0") == 0 || strcmp(word, "SAVEHIST=0") == 0;
}

/* A whole word: see what it says. */
static void
live_words_word(struct live_words *w)
{
	const char *word = w->word;

	w->word[w->len] = '\0';
	if (strncmp(word, "HISTFILE=", 9) == 0)
		live_words_emit(w, "assignment", word + 9);
	else if (live_words_size_zero(word))
		live_words_emit(w, "size-zero", NULL);
	else if (w->command == 'u' && strcmp(word, "HISTFILE") == 0)
		live_words_emit(w, "unset", NULL);
	else if (w->command == 'o' && strcmp(word, "history") == 0)
		live_words_emit(w, "history-off", NULL);
	if (strcmp(word, "unset") == 0)
		w->command = 'u';
	else if (strcmp(word, "set") == 0)
		w->command = 's';
	else if (w->command == 's' && strcmp(word, "+o") == 0)
		w->command = 'o';
	else if (w->command != 'u')
		w->command = 0;
	w->len = 0;
	w->long_word = w->literal = w->started = false;
}

/* Add a character to the current word. */
static void
live_words_add(struct live_words *w, char c, bool quoted_single)
{
	if (!w->started)
		w->literal = quoted_single;
	w->started = true;
	if (w->len == LIVE_WORD_MAX) {
		w->long_word = true;
		return;
	}
	w->word[w->len++] = c;
}

/* End the current word, if any. */
static void
live_words_end(struct live_words *w)
{
	if (w->started)
		live_words_word(w);
}

/* Take a quoted run starting at p (a quote); where it ends. */
static const char *
live_words_quoted(struct live_words *w, const char *p, const char *end)
{
	char quote = *p++;

	if (!w->started)
		w->literal = quote == '\'';
	w->started = true;
	for (; p < end && *p != quote; p++) {
		if (quote == '"' && *p == '\\' && p + 1 < end)
			p++;
		live_words_add(w, *p, w->literal);
	}
	return p < end ? p + 1 : p;
}

/* Take a $( ) or ${ } run starting at p whole into the word; where it ends. */
static const char *
live_words_expansion(struct live_words *w, const char *p, const char *end)
{
	char open = p[1], close = open == '(' ? ')' : '}';
	int depth = 0;

	for (; p < end; p++) {
		live_words_add(w, *p, false);
		if (*p == open)
			depth++;
		else if (*p == close && --depth == 0)
			return p + 1;
	}
	return p;
}

/* Split one line into words, statements noted as they end. */
static void
live_words_line(struct live_words *w, const char *p, const char *end)
{
	while (p < end) {
		if (*p == '\'' || *p == '"') {
			p = live_words_quoted(w, p, end);
			continue;
		}
		if (*p == '#' && !w->started)
			break;
		if (*p == '$' && p + 1 < end && (p[1] == '(' || p[1] == '{')) {
			p = live_words_expansion(w, p, end);
			continue;
		}
		if (*p == '\\' && p + 1 < end) {
			live_words_add(w, p[1], false);
			p += 2;
			continue;
		}
		if (strchr(" \t\r\f\v;&|(){}`", *p) != NULL) {
			live_words_end(w);
			if (*p != ' ' && *p != '\t')
				w->command = 0;
		} else
			live_words_add(w, *p, false);
		p++;
	}
	live_words_end(w);
	w->command = 0;
}

/* Note every history statement of a start-up file's text. */
void
live_histfile_scan(const char *data, size_t len, const char *file,
    json_t *statements)
{
	struct live_words *w = calloc(1, sizeof *w);
	const char *p = data, *end = data + len, *eol;

	if (w == NULL)
		return;
	w->file = file;
	w->statements = statements;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		w->line++;
		w->text = p;
		w->text_len = (size_t)(eol - p);
		if (memmem(p, w->text_len, "HIST", 4) != NULL ||
		    memmem(p, w->text_len, "history", 7) != NULL)
			live_words_line(w, p, eol);
		p = eol + 1;
	}
	free(w);
}
