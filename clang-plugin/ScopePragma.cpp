//===- ScopePragma.cpp - Lowering of TS_SCOPE
//------------------------------===//
//
// With the plugin, tsmem.h defines TS_SCOPE as _Pragma("tsmem scope"). The
// handler below rewrites the tokens that follow it so that the statement
// opens with the guard TS_SCOPE_GUARD() declares:
//
//   TS_SCOPE { body }          ->  { TS_SCOPE_GUARD(); body }
//   TS_SCOPE for (h) { body }  ->  for (h) { TS_SCOPE_GUARD(); body }
//   TS_SCOPE while (c) stmt;   ->  while (c) { TS_SCOPE_GUARD(); stmt; }
//   TS_SCOPE do stmt; while..  ->  do { TS_SCOPE_GUARD(); stmt; } while..
//
// The guard is a variable with a cleanup attribute, so Clang's own cleanup
// code generation ends the scope exactly once on every exit from the block:
// fall-through, return (after its value is computed), break, continue, goto.
// The ownership analysis sees the same AST as for a hand-written guard.
// A non-compound loop body is found by a token-level statement skipper
// (braces, parentheses, if/else, nested loops, do-while). TS_SCOPE before
// anything else, or outside a function (told by counting the braces the
// parser has been handed), is an error at the TS_SCOPE.
//
//===----------------------------------------------------------------------===//
#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/ADT/SmallVector.h"

using namespace clang;

namespace {

/// How deep in braces the parser is, from the tokens the preprocessor has
/// handed it: 0 is file scope. Sema cannot tell, as the parser reads one
/// token ahead (the `}` ending a function is read while still inside it).
/// Unknown (-1) when only preprocessing (-E): no check then.
int BraceDepth = -1;

using TokenList = llvm::SmallVector<Token, 32>;

/// Reads the statement after `#pragma tsmem scope` and hands back the
/// rewritten token stream.
class ScopeRewriter {
  Preprocessor &PP;
  SourceLocation ScopeLoc; // the TS_SCOPE the user wrote
  TokenList Prefix;        // re-entered as read, ending where the guard goes
  TokenList Body;          // a non-compound loop body, to wrap in braces
  bool BodyNeedsBraces = false;
  bool ReadPast = false; // Body ends with a token past the statement

public:
  ScopeRewriter(Preprocessor &PP, SourceLocation ScopeLoc)
      : PP(PP), ScopeLoc(ScopeLoc) {}

  bool run();
  void enterTokens();
  void enterUnchanged();
  void discardStatement() {
    TokenList Dropped;
    if (skipStatement(Dropped) && ReadPast)
      PP.EnterToken(Dropped.back(), /*IsReinject=*/false);
  }

private:
  void enterCopy(const TokenList &Toks, bool DisableMacroExpansion);
  Token lex(TokenList &Into) {
    Token Tok;
    PP.Lex(Tok);
    Into.push_back(Tok);
    return Tok;
  }
  /// The next token: the one an `if` without `else` read too many, if any.
  Token next(TokenList &Into) {
    if (!ReadPast)
      return lex(Into);
    ReadPast = false;
    return Into.back();
  }
  bool readLoopBody();
  bool readBalanced(TokenList &Into, tok::TokenKind Open, tok::TokenKind Close);
  bool skipStatement(TokenList &Into);
  bool skipToSemi(TokenList &Into);
  Token makeToken(tok::TokenKind Kind) const;
  Token makeIdentifier(StringRef Name) const;
  void error(SourceLocation Loc, StringRef Message) const;
};

void ScopeRewriter::error(SourceLocation Loc, StringRef Message) const {
  DiagnosticsEngine &Diags = PP.getDiagnostics();
  Diags.Report(Loc, Diags.getCustomDiagID(DiagnosticsEngine::Error, "%0"))
      << Message;
}

/// A token spelled Spelling in scratch space, expanded at the TS_SCOPE the
/// user wrote: diagnostics point there, and -E prints it.
Token ScopeRewriter::makeToken(tok::TokenKind Kind) const {
  Token Tok;
  Tok.startToken();
  Tok.setKind(Kind);
  PP.CreateString(tok::getPunctuatorSpelling(Kind), Tok, ScopeLoc, ScopeLoc);
  return Tok;
}

Token ScopeRewriter::makeIdentifier(StringRef Name) const {
  Token Tok;
  Tok.startToken();
  Tok.setKind(tok::raw_identifier);
  PP.CreateString(Name, Tok, ScopeLoc, ScopeLoc);
  PP.LookUpIdentifierInfo(Tok);
  Tok.setFlag(Token::LeadingSpace);
  return Tok;
}

/// Reads an Open ... Close group, nested groups included; the current token
/// (already in Into) must be Open.
bool ScopeRewriter::readBalanced(TokenList &Into, tok::TokenKind Open,
                                 tok::TokenKind Close) {
  unsigned Depth = 1;
  while (Depth) {
    Token Tok = lex(Into);
    if (Tok.is(tok::eof))
      return false;
    if (Tok.is(Open))
      ++Depth;
    else if (Tok.is(Close))
      --Depth;
  }
  return true;
}

/// Reads an expression or declaration statement up to its `;`, skipping
/// over brackets of every kind (compound literals, statement expressions).
bool ScopeRewriter::skipToSemi(TokenList &Into) {
  for (Token Tok = Into.back(); !Tok.is(tok::semi); Tok = lex(Into)) {
    if (Tok.is(tok::eof))
      return false;
    if (Tok.is(tok::l_paren) && !readBalanced(Into, tok::l_paren, tok::r_paren))
      return false;
    if (Tok.is(tok::l_square) &&
        !readBalanced(Into, tok::l_square, tok::r_square))
      return false;
    if (Tok.is(tok::l_brace) && !readBalanced(Into, tok::l_brace, tok::r_brace))
      return false;
  }
  return true;
}

/// Reads one statement, from its first token to its last. Only the end of
/// the statement matters, so the grammar is that of C's statement keywords.
/// An `if` without `else` makes us read one token too many; it is left at
/// the end of Into, ReadPast says so, and next() hands it out again.
bool ScopeRewriter::skipStatement(TokenList &Into) {
  Token Tok = lex(Into);
  while (Tok.isAnnotation()) // #pragma clang loop and the like: a prefix
    Tok = lex(Into);
  switch (Tok.getKind()) {
  case tok::eof:
    return false;
  case tok::semi:
    return true;
  case tok::l_brace:
    return readBalanced(Into, tok::l_brace, tok::r_brace);
  case tok::kw_for:
  case tok::kw_while:
  case tok::kw_switch:
    return lex(Into).is(tok::l_paren) &&
           readBalanced(Into, tok::l_paren, tok::r_paren) &&
           skipStatement(Into);
  case tok::kw_do:
    return skipStatement(Into) && next(Into).is(tok::kw_while) &&
           lex(Into).is(tok::l_paren) &&
           readBalanced(Into, tok::l_paren, tok::r_paren) &&
           lex(Into).is(tok::semi);
  case tok::kw_if: {
    if (!lex(Into).is(tok::l_paren) ||
        !readBalanced(Into, tok::l_paren, tok::r_paren) || !skipStatement(Into))
      return false;
    // The token after the statement: `else`, or the first one past the if.
    if (next(Into).is(tok::kw_else))
      return skipStatement(Into);
    ReadPast = true;
    return true;
  }
  default:
    return skipToSemi(Into);
  }
}

/// After the loop header: a compound body takes the guard after its `{`;
/// any other statement is read whole and wrapped in braces.
bool ScopeRewriter::readLoopBody() {
  Token Tok;
  PP.Lex(Tok);
  if (Tok.is(tok::l_brace)) {
    Prefix.push_back(Tok);
    return true;
  }
  PP.EnterToken(Tok, /*IsReinject=*/false);
  BodyNeedsBraces = true;
  return skipStatement(Body);
}

/// Reads the statement after the pragma up to where the guard goes.
bool ScopeRewriter::run() {
  Token Tok = lex(Prefix);
  switch (Tok.getKind()) {
  case tok::l_brace:
    return true;
  case tok::kw_for:
  case tok::kw_while:
    if (!lex(Prefix).is(tok::l_paren) ||
        !readBalanced(Prefix, tok::l_paren, tok::r_paren)) {
      error(Tok.getLocation(),
            "TS_SCOPE: expected a parenthesized loop header after this");
      return false;
    }
    return readLoopBody();
  case tok::kw_do:
    return readLoopBody();
  default:
    error(ScopeLoc, "TS_SCOPE must be followed by a compound statement or a "
                    "for, while or do loop");
    return false;
  }
}

/// Gives the tokens back to the parser with the guard inserted. Token
/// streams are a stack: the last one entered is read first.
void ScopeRewriter::enterTokens() {
  if (BodyNeedsBraces) {
    Token Past = Body.back();
    if (ReadPast)
      Body.pop_back();
    Body.push_back(makeToken(tok::r_brace));
    if (ReadPast)
      Body.push_back(Past);
    Prefix.push_back(makeToken(tok::l_brace));
    enterCopy(Body, /*DisableMacroExpansion=*/true);
  }
  // TS_SCOPE_GUARD ( ) ; expanded by the preprocessor, as if the user wrote
  // it, so the guard is always the one tsmem.h defines.
  TokenList Guard = {makeIdentifier("TS_SCOPE_GUARD"), makeToken(tok::l_paren),
                     makeToken(tok::r_paren), makeToken(tok::semi)};
  enterCopy(Guard, /*DisableMacroExpansion=*/false);
  enterCopy(Prefix, /*DisableMacroExpansion=*/true);
}

/// Tokens read here, inside the pragma, never reached the parser: for the
/// preprocessor they are new, not reinjected. Those already expanded must not
/// be expanded again.
void ScopeRewriter::enterCopy(const TokenList &Toks,
                              bool DisableMacroExpansion) {
  auto Copy = std::make_unique<Token[]>(Toks.size());
  std::copy(Toks.begin(), Toks.end(), Copy.get());
  PP.EnterTokenStream(std::move(Copy), Toks.size(), DisableMacroExpansion,
                      /*IsReinject=*/false);
}

/// On error: the tokens read so far go back as they were.
void ScopeRewriter::enterUnchanged() {
  TokenList All = Prefix;
  All.append(Body.begin(), Body.end());
  if (!All.empty())
    enterCopy(All, /*DisableMacroExpansion=*/true);
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
  ScopeRewriter Rewriter(PP, Loc);
  if (BraceDepth == 0) {
    Diags.Report(Loc, Diags.getCustomDiagID(
                          DiagnosticsEngine::Error,
                          "TS_SCOPE outside a function: it goes before a "
                          "block or loop inside a function body"));
    Rewriter.discardStatement(); // one error, not a cascade from the parser
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
