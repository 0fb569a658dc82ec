#!/bin/sh
# make-corpus.sh - writes the seed corpus: one small input per kind of op.
# Byte 0 picks the pool's max_per_key; then each op is its index in OPS[]
# (fuzz_runtime.c) followed by its argument bytes.
#   0 begin  1 end  2 end-out-of-order  3 end-unknown  4,5 create
#   6 clone/add  7 escape  8 keep  9 free  10 register  11 run
#   12 acquire  13 acquire-bad-key  14 release  15 prune  16 clear
#   17 clear-key  18 pool-renew  19 async-begin  20 enter  21 leave  22 end
set -e
cd "$(dirname "$0")/corpus"
w() { printf "$2" > "$1"; }
# create a tensor in a scope, escape it, end the scope, free it
w scope-escape  '\001\000\004\000\007\000\000\000\001\001\011\000\000'
# nested scopes ended out of order, then unknown ids
w out-of-order  '\001\000\004\001\000\004\002\000\002\000\003\000\003\001\003\002\001\002\003\004\005\006\007\010'
# keep a tensor, free it twice (the second is stale)
w keep-free     '\000\000\004\003\010\000\000\001\011\000\000\011\000\000'
# register a manual tensor into a scope; register NULL
w register      '\002\004\000\000\012\000\000\001\000\012\007\000'
# ts_run with ops inside, and ts_run(NULL)
w run           '\001\013\004\001\004\002\000\007\000\000\013\000\000'
# release to the pool, acquire back (hit), acquire a miss, release stale
w pool-cycle    '\002\004\000\004\000\016\000\000\000\016\001\000\000\014\000\000\014\000\000\016\000\000\000'
# fill a key past max_per_key, then prune by half and clear one key
w pool-prune    '\000\004\001\004\001\004\001\016\000\000\000\016\000\001\000\016\000\002\000\017\006\000\021\001\000'
# pool ops on NULL and destroyed pools; clear; bad keys
w pool-bad      '\001\004\000\016\000\000\006\022\000\000\014\000\007\020\006\015\000\001\015\001\002\015\002'
# async scope: begin, enter, create, leave, enter again, end while entered
w async         '\001\023\024\000\004\002\025\000\024\000\026\000\025\000\026\000'
# async scope left by a plain scope ending beneath it; escape out of it
w async-nested  '\001\000\023\024\000\004\000\007\000\000\001\000\026\000'
# bogus, NULL and forged handles to every handle-taking op
w bogus         '\001\004\000\007\010\001\002\003\004\005\006\007\010\010\007\000\011\011\001\012\010\377\377\377\377\377\377\377\377\016\011\001\000'
# clone and add of live and stale tensors
w derive        '\001\004\002\006\000\000\000\000\001\011\000\000\006\000\000\000\000\000'
# run ending a scope below it from inside fn (ts_run's own end then fails)
w run-end-below '\001\000\013\004\002\000\004\000'
