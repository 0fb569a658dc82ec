//===- ScopePragma.cpp - Lowering of TS_SCOPE -----------------------------===//
//
// With the plugin, tsmem.h defines TS_SCOPE as _Pragma("tsmem scope"). The
// handler below rewrites the tokens of the block's `{` or of the loop's
// header, never those of a loop body, which the parser reads untouched:
//
//   TS_SCOPE { body }
//     -> { TS_SCOPE_GUARD(); body }
//   TS_SCOPE for (init; cond; inc) body
//     -> TS__LOOP_SCOPE(g) for (init; ts__loop_scope_open(&g), cond;
//                               (inc), ts__loop_scope_close(&g)) body
//   TS_SCOPE while (cond) body
//     -> TS__LOOP_SCOPE(g) for (; ts__loop_scope_open(&g), cond;
//                               ts__loop_scope_close(&g)) body
//   TS_SCOPE do body while (cond);
//     -> TS__LOOP_SCOPE(g) do if (ts__loop_scope_open(&g)) {} else body
//                          while (cond);
//
// The guard is a variable with a cleanup attribute, so Clang's own cleanup
// code generation ends the scope exactly once on every exit from the block:
// fall-through, return (after its value is computed), break, continue, goto.
// TS__LOOP_SCOPE(g) (tsmem.h) is a `for` that runs its statement once, with
// such a guard g for the loop: each test of a for or while condition opens a
// fresh scope (ending the one before, if open), which also covers the body
// and the increment after it; a do loop opens one at the top of each
// iteration, which also covers the condition after the body. A break,
// return or goto out, or the last, failing, condition leaves the loop's scope
// open for g's cleanup to end. The ownership analysis knows these calls
// (OwnershipModel.cpp).
//
// TS_SCOPE before anything else, or outside a function (told by counting the
// braces the parser has been handed), is an error at the TS_SCOPE. The
// handler never consumes the end of the file: what it read goes back.
//
//===----------------------------------------------------------------------===//
#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"

using namespace clang;

namespace {

/// How deep in braces the parser is, from the tokens the preprocessor has
/// handed it: 0 is file scope. Sema cannot tell, as the parser reads one
/// token ahead (the `}` ending a function is read while still inside it).
/// Unknown (-1) when only preprocessing (-E): no check then.
int BraceDepth = -1;

/// Numbers the loop guards of a translation unit: ts__loop_scope_<N>.
unsigned LoopCounter = 0;

using TokenList = llvm::SmallVector<Token, 32>;

/// Reads the start of the statement after `#pragma tsmem scope` and hands
/// back the rewritten token stream.
class ScopeRewriter {
  Preprocessor &PP;
  SourceLocation ScopeLoc; // the TS_SCOPE the user wrote
  TokenList Read;          // every token read, in order
  /// The output, in order: each part with whether macros expand in it
  /// (only in ours: the user's tokens have been expanded already).
  llvm::SmallVector<std::pair<TokenList, bool>, 8> Out;

public:
  ScopeRewriter(Preprocessor &PP, SourceLocation ScopeLoc)
      : PP(PP), ScopeLoc(ScopeLoc) {}

  bool run();
  void enterTokens();
  void enterUnchanged();
  void discardFileScopeBlock();

private:
  Token lex() {
    Token Tok;
    PP.Lex(Tok);
    Read.push_back(Tok);
    return Tok;
  }
  bool readBalanced(tok::TokenKind Open, tok::TokenKind Close);
  bool readHeader(llvm::SmallVectorImpl<TokenList> &Parts, TokenList &Ends);
  bool emitLoop(const TokenList &Annots, Token Keyword,
                llvm::SmallVectorImpl<TokenList> &Parts, const TokenList &Ends);
  void user(const TokenList &Toks) { Out.push_back({Toks, false}); }
  void ours(StringRef Spelling, SourceLocation Loc = {});
  Token makeToken(tok::TokenKind Kind, SourceLocation Loc = {}) const;
  Token makeIdentifier(StringRef Name, SourceLocation Loc) const;
  void error(SourceLocation Loc, const Twine &Message) const;
};

void ScopeRewriter::error(SourceLocation Loc, const Twine &Message) const {
  DiagnosticsEngine &Diags = PP.getDiagnostics();
  Diags.Report(Loc, Diags.getCustomDiagID(DiagnosticsEngine::Error, "%0"))
      << Message.str();
}

/// A token spelled Spelling in scratch space, expanded at the TS_SCOPE the
/// user wrote: diagnostics point there, and -E prints it.
Token ScopeRewriter::makeToken(tok::TokenKind Kind, SourceLocation Loc) const {
  if (Loc.isInvalid())
    Loc = ScopeLoc;
  Token Tok;
  Tok.startToken();
  Tok.setKind(Kind);
  PP.CreateString(tok::getPunctuatorSpelling(Kind), Tok, Loc, Loc);
  Tok.setFlag(Token::LeadingSpace);
  return Tok;
}

Token ScopeRewriter::makeIdentifier(StringRef Name, SourceLocation Loc) const {
  Token Tok;
  Tok.startToken();
  Tok.setKind(tok::raw_identifier);
  PP.CreateString(Name, Tok, ScopeLoc, ScopeLoc);
  PP.LookUpIdentifierInfo(Tok);
  // An identifier's spelling is its IdentifierInfo: it may stand at a
  // user's token, where a diagnostic about the call shows no scratch space.
  if (Loc.isValid())
    Tok.setLocation(Loc);
  Tok.setFlag(Token::LeadingSpace);
  return Tok;
}

/// Our tokens, spelled with spaces between them: identifiers, the integer
/// 1, and the punctuators below; at the TS_SCOPE, the identifiers at Loc
/// if given.
void ScopeRewriter::ours(StringRef Spelling, SourceLocation Loc) {
  TokenList Toks;
  llvm::SmallVector<StringRef, 16> Words;
  Spelling.split(Words, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef W : Words) {
    tok::TokenKind Kind = llvm::StringSwitch<tok::TokenKind>(W)
                              .Case("(", tok::l_paren)
                              .Case(")", tok::r_paren)
                              .Case("{", tok::l_brace)
                              .Case("}", tok::r_brace)
                              .Case(";", tok::semi)
                              .Case(",", tok::comma)
                              .Case("&", tok::amp)
                              .Case("1", tok::numeric_constant)
                              .Default(tok::identifier);
    if (Kind == tok::identifier) {
      Toks.push_back(makeIdentifier(W, Loc));
    } else if (Kind == tok::numeric_constant) {
      Token Tok;
      Tok.startToken();
      Tok.setKind(Kind);
      PP.CreateString(W, Tok, ScopeLoc, ScopeLoc);
      Tok.setFlag(Token::LeadingSpace);
      Toks.push_back(Tok);
    } else {
      Toks.push_back(makeToken(Kind));
    }
  }
  Out.push_back({std::move(Toks), true});
}

/// Reads an Open ... Close group, nested groups included; the last token
/// read must be Open. False at the end of the file.
bool ScopeRewriter::readBalanced(tok::TokenKind Open, tok::TokenKind Close) {
  unsigned Depth = 1;
  while (Depth) {
    Token Tok = lex();
    if (Tok.is(tok::eof))
      return false;
    if (Tok.is(Open))
      ++Depth;
    else if (Tok.is(Close))
      --Depth;
  }
  return true;
}

/// Reads a loop header after its `(` up to the matching `)`, split at the
/// semicolons outside brackets (statement expressions and compound
/// literals have their own). Ends: those semicolons, then the `)`; the
/// user's own, so that the parser's errors point at them. False at the end
/// of the file.
bool ScopeRewriter::readHeader(llvm::SmallVectorImpl<TokenList> &Parts,
                               TokenList &Ends) {
  Parts.emplace_back();
  unsigned Depth = 0;
  while (true) {
    Token Tok = lex();
    switch (Tok.getKind()) {
    case tok::eof:
      return false;
    case tok::l_paren:
    case tok::l_square:
    case tok::l_brace:
      ++Depth;
      break;
    case tok::r_square:
    case tok::r_brace:
      if (Depth)
        --Depth;
      break;
    case tok::r_paren:
      if (!Depth) {
        Ends.push_back(Tok);
        return true;
      }
      --Depth;
      break;
    case tok::semi:
      if (!Depth) {
        Ends.push_back(Tok);
        Parts.emplace_back();
        continue;
      }
      break;
    default:
      break;
    }
    Parts.back().push_back(Tok);
  }
}

/// The loop with its guard, the header rewritten, the body left alone.
bool ScopeRewriter::emitLoop(const TokenList &Annots, Token Keyword,
                             llvm::SmallVectorImpl<TokenList> &Parts,
                             const TokenList &Ends) {
  if (!PP.isMacroDefined("TS__LOOP_SCOPE")) {
    error(ScopeLoc, "TS_SCOPE on a loop needs tsmem.h from this tsmem "
                    "(TS__LOOP_SCOPE is not defined)");
    return false;
  }
  std::string G = ("ts__loop_scope_" + Twine(LoopCounter++)).str();
  ours("TS__LOOP_SCOPE ( " + G + " )");
  user(Annots); // #pragma clang loop and the like: for the user's loop
  if (Keyword.is(tok::kw_do)) {
    user({Keyword});
    ours("if ( ts__loop_scope_open ( & " + G + " ) ) { } else");
    return true;
  }
  bool IsFor = Keyword.is(tok::kw_for);
  if (IsFor ? Parts.size() != 3 : Parts.size() != 1 || Parts[0].empty()) {
    if (IsFor)
      error(Keyword.getLocation(),
            "TS_SCOPE: a scoped for loop takes an (init; condition; "
            "increment) header");
    return false; // while (): the parser says what is wrong
  }
  TokenList &Cond = IsFor ? Parts[1] : Parts[0];
  if (IsFor) {
    user({Keyword});
    ours("(");
    user(Parts[0]);
    user({Ends[0]});
  } else {
    ours("for ( ;");
  }
  // The scope's calls stand at the condition and at the `)`: where the
  // scope of one iteration ends and the next begins, for diagnostics.
  SourceLocation CondLoc =
      Cond.empty() ? Ends[0].getLocation() : Cond[0].getLocation();
  ours("ts__loop_scope_open ( & " + G + " ) ,", CondLoc);
  if (Cond.empty())
    ours("1", CondLoc);
  else
    user(Cond);
  // A while loop's `;` stands where its `)` was.
  user({IsFor ? Ends[1] : makeToken(tok::semi, Ends[0].getLocation())});
  if (IsFor && !Parts[2].empty()) {
    ours("(", Parts[2][0].getLocation());
    user(Parts[2]);
    ours(") ,", Ends.back().getLocation());
  }
  ours("ts__loop_scope_close ( & " + G + " )", Ends.back().getLocation());
  user({Ends.back()});
  return true;
}

/// Reads the statement after the pragma up to where the rewriting ends.
bool ScopeRewriter::run() {
  Token Tok = lex();
  TokenList Annots;
  while (Tok.isAnnotation()) { // #pragma clang loop and the like
    Annots.push_back(Tok);
    Tok = lex();
  }
  switch (Tok.getKind()) {
  case tok::l_brace:
    if (!PP.isMacroDefined("TS_SCOPE_GUARD")) {
      error(ScopeLoc, "TS_SCOPE needs tsmem.h (TS_SCOPE_GUARD is not "
                      "defined)");
      return false;
    }
    user(Read);
    // TS_SCOPE_GUARD ( ) ; expanded by the preprocessor, as if the user
    // wrote it, so the guard is always the one tsmem.h defines.
    ours("TS_SCOPE_GUARD ( ) ;");
    return true;
  case tok::kw_do: {
    llvm::SmallVector<TokenList, 1> None;
    return emitLoop(Annots, Tok, None, {});
  }
  case tok::kw_for:
  case tok::kw_while: {
    llvm::SmallVector<TokenList, 3> Parts;
    TokenList Ends;
    if (!lex().is(tok::l_paren)) {
      error(Tok.getLocation(),
            "TS_SCOPE: expected a parenthesized loop header after this");
      return false;
    }
    if (!readHeader(Parts, Ends))
      return false; // the end of the file: the parser says what is missing
    return emitLoop(Annots, Tok, Parts, Ends);
  }
  default:
    error(ScopeLoc, "TS_SCOPE must be followed by a compound statement or a "
                    "for, while or do loop");
    return false;
  }
}

/// Gives the tokens back to the parser. Token streams are a stack: the last
/// one entered is read first.
void ScopeRewriter::enterTokens() {
  for (auto &[Toks, Expand] : llvm::reverse(Out)) {
    if (Toks.empty())
      continue;
    auto Copy = std::make_unique<Token[]>(Toks.size());
    std::copy(Toks.begin(), Toks.end(), Copy.get());
    // Tokens read here, inside the pragma, never reached the parser: for
    // the preprocessor they are new, not reinjected.
    PP.EnterTokenStream(std::move(Copy), Toks.size(),
                        /*DisableMacroExpansion=*/!Expand,
                        /*IsReinject=*/false);
  }
}

/// On error: the tokens read so far go back as they were (the end of the
/// file among them, if it was read).
void ScopeRewriter::enterUnchanged() {
  Out.clear();
  user(Read);
  enterTokens();
}

/// TS_SCOPE outside a function: a `{ ... }` right after it is dropped (one
/// error rather than a cascade from the parser); anything else, such as a
/// function definition (TS_SCOPE for TS_SCOPED), is left to the parser.
void ScopeRewriter::discardFileScopeBlock() {
  if (lex().is(tok::l_brace) && readBalanced(tok::l_brace, tok::r_brace))
    return;
  enterUnchanged();
}

/// `#pragma tsmem scope`, which is what TS_SCOPE expands to.
class ScopePragmaHandler : public PragmaHandler {
public:
  ScopePragmaHandler() : PragmaHandler("tsmem") {}

  void HandlePragma(Preprocessor &PP, PragmaIntroducer Introducer,
                    Token &FirstToken) override;
};

void ScopePragmaHandler::HandlePragma(Preprocessor &PP,
                                      PragmaIntroducer Introducer,
                                      Token &FirstToken) {
  SourceLocation Loc =
      PP.getSourceManager().getExpansionLoc(FirstToken.getLocation());
  DiagnosticsEngine &Diags = PP.getDiagnostics();
  Token Tok;
  PP.LexUnexpandedToken(Tok);
  if (!Tok.is(tok::identifier) ||
      Tok.getIdentifierInfo()->getName() != "scope") {
    Diags.Report(Tok.getLocation(),
                 Diags.getCustomDiagID(DiagnosticsEngine::Error,
                                       "unknown tsmem pragma; the only one is "
                                       "'#pragma tsmem scope' (TS_SCOPE)"));
    return;
  }
  PP.LexUnexpandedToken(Tok);
  if (!Tok.is(tok::eod)) {
    Diags.Report(Tok.getLocation(),
                 Diags.getCustomDiagID(DiagnosticsEngine::Error,
                                       "extra tokens after '#pragma tsmem "
                                       "scope'"));
    return;
  }
  if (Introducer.Kind == PIK_HashPragma) {
    // A `#pragma` line is handled inside the lexer of its file: reading on
    // from here, past the end of the file, would destroy that lexer under
    // it. Go round again as _Pragma("tsmem scope"), which the preprocessor
    // handles once the directive is done, as it does TS_SCOPE.
    Token Toks[4];
    for (Token &T : Toks)
      T.startToken();
    Toks[0].setKind(tok::raw_identifier);
    PP.CreateString("_Pragma", Toks[0], Loc, Loc);
    PP.LookUpIdentifierInfo(Toks[0]);
    Toks[1].setKind(tok::l_paren);
    PP.CreateString("(", Toks[1], Loc, Loc);
    Toks[2].setKind(tok::string_literal);
    PP.CreateString("\"tsmem scope\"", Toks[2], Loc, Loc);
    Toks[3].setKind(tok::r_paren);
    PP.CreateString(")", Toks[3], Loc, Loc);
    auto Copy = std::make_unique<Token[]>(4);
    std::copy(std::begin(Toks), std::end(Toks), Copy.get());
    PP.EnterTokenStream(std::move(Copy), 4, /*DisableMacroExpansion=*/false,
                        /*IsReinject=*/false);
    return;
  }
  ScopeRewriter Rewriter(PP, Loc);
  if (BraceDepth == 0) {
    Diags.Report(Loc, Diags.getCustomDiagID(
                          DiagnosticsEngine::Error,
                          "TS_SCOPE outside a function: it goes before a "
                          "block or loop inside a function body (TS_SCOPED "
                          "goes before a function definition)"));
    Rewriter.discardFileScopeBlock();
    return;
  }
  if (Rewriter.run())
    Rewriter.enterTokens();
  else
    Rewriter.enterUnchanged();
}

/// Counts braces in the tokens the parser reads, for the file-scope check.
class BraceTrackerAction : public PluginASTAction {
protected:
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI,
                                                 StringRef) override {
    BraceDepth = 0;
    LoopCounter = 0;
    CI.getPreprocessor().setTokenWatcher([](const Token &Tok) {
      if (Tok.is(tok::l_brace))
        ++BraceDepth;
      else if (Tok.is(tok::r_brace) && BraceDepth > 0)
        --BraceDepth;
    });
    return std::make_unique<ASTConsumer>();
  }
  bool ParseArgs(const CompilerInstance &,
                 const std::vector<std::string> &) override {
    return true;
  }
  ActionType getActionType() override { return AddBeforeMainAction; }
};

} // namespace

static PragmaHandlerRegistry::Add<ScopePragmaHandler>
    ScopePragma("tsmem", "TS_SCOPE: a scope around a block or loop body");
static FrontendPluginRegistry::Add<BraceTrackerAction>
    ScopeSema("tsmem-scope", "tsmem: lets TS_SCOPE see where it is");
