#ifndef H2LAB_CREADLINE_SHIM_H
#define H2LAB_CREADLINE_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <readline/readline.h>
#include <readline/history.h>

// Swift 6 treats C globals as shared mutable state; these accessors keep that in C.
typedef char *(*h2lab_completion_generator)(const char *text, int state);

static inline void h2lab_rl_set_completer(h2lab_completion_generator generator) {
    rl_completion_entry_function = generator;
    rl_attempted_completion_function = NULL;
}
static inline void h2lab_rl_set_name(const char *name) { rl_readline_name = name; }
static inline const char *h2lab_rl_line_buffer(void) { return rl_line_buffer; }
// Where the cursor is in rl_line_buffer (an offset in bytes).
static inline int h2lab_rl_point(void) { return rl_point; }
static inline void h2lab_rl_set_append_character(int c) { rl_completion_append_character = c; }
typedef int (*h2lab_event_hook)(void);
// Called about ten times a second while readline waits for a key (Ctrl-C ends the wait).
static inline void h2lab_rl_set_event_hook(h2lab_event_hook hook) { rl_event_hook = hook; }
// Makes readline return the line being typed at once.
static inline void h2lab_rl_finish_line(void) { rl_done = 1; }
// Prints text above the prompt while readline waits, then redraws the prompt and the line being
// typed as it was (frames from a live peer arrive while a student types).
static inline void h2lab_rl_print_above(const char *text) {
    int point = rl_point;
    char *line = rl_copy_text(0, rl_end);
    rl_replace_line("", 0);
    rl_clear_visible_line();
    fputs(text, stdout);
    fflush(stdout);
    rl_on_new_line();
    if (line != NULL) {
        rl_replace_line(line, 0);
        free(line);
    }
    rl_point = point;
    rl_redisplay();
}
#endif
