import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The package's entry points (package.json `exports`) and their source files. */
export const ENTRY_POINTS: Readonly<Record<string, string>> = {
  'cluster-actions': fileURLToPath(new URL('../../src/index.ts', import.meta.url)),
  'cluster-actions/testing': fileURLToPath(new URL('../../src/testing/index.ts', import.meta.url)),
};

const FORMAT = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

/**
 * Every exported name of each entry point with its signature, as the TypeScript compiler sees it: for a class its
 * constructors, static and public or protected members; for an interface its properties; for a type alias its
 * type; for a function its call signatures; for an enum its members. Private members are not part of it.
 */
export function publicApi(): Record<string, Record<string, string[]>> {
  const config = ts.getParsedCommandLineOfConfigFile(
    fileURLToPath(new URL('../../tsconfig.json', import.meta.url)),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  const program = ts.createProgram(Object.values(ENTRY_POINTS), config.options);
  const checker = program.getTypeChecker();
  const text = (type: ts.Type) => checker.typeToString(type, undefined, FORMAT);
  const signature = (value: ts.Signature) => checker.signatureToString(value, undefined, FORMAT);

  const isPrivate = (symbol: ts.Symbol) =>
    (symbol.declarations ?? []).some(
      (declaration) =>
        (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Private) !== 0 ||
        (ts.isClassElement(declaration) &&
          declaration.name !== undefined &&
          ts.isPrivateIdentifier(declaration.name)),
    );
  const properties = (type: ts.Type, prefix: string, at: ts.Node) =>
    checker
      .getPropertiesOfType(type)
      .filter((property) => !isPrivate(property) && property.name !== 'prototype')
      .map((property) => {
        const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
        const declaration = property.valueDeclaration ?? property.declarations?.[0];
        const isProtected =
          declaration && ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Protected
            ? 'protected '
            : '';
        const isReadonly =
          declaration && ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Readonly
            ? 'readonly '
            : '';
        return `${prefix}${isProtected}${isReadonly}${property.name}${optional}: ${text(checker.getTypeOfSymbolAtLocation(property, at))}`;
      })
      .sort();

  const describe = (symbol: ts.Symbol, at: ts.Node): string[] => {
    const lines: string[] = [];
    if (symbol.flags & ts.SymbolFlags.Class) {
      const staticType = checker.getTypeOfSymbolAtLocation(symbol, at);
      const abstract = (symbol.valueDeclaration &&
        ts.getCombinedModifierFlags(symbol.valueDeclaration) & ts.ModifierFlags.Abstract) as number;
      lines.push(`${abstract ? 'abstract ' : ''}class`);
      const base = checker.getBaseTypes(checker.getDeclaredTypeOfSymbol(symbol) as ts.InterfaceType);
      lines.push(...base.map((type) => `extends ${text(type)}`));
      const constructors = staticType
        .getConstructSignatures()
        .filter(
          (value) =>
            !value.declaration ||
            !(ts.getCombinedModifierFlags(value.declaration as ts.Declaration) & ts.ModifierFlags.Private),
        );
      lines.push(...constructors.map((value) => `new ${signature(value)}`));
      lines.push(...properties(staticType, 'static ', at));
      lines.push(...properties(checker.getDeclaredTypeOfSymbol(symbol), '', at));
    } else if (symbol.flags & ts.SymbolFlags.Enum) {
      lines.push('enum');
      for (const member of checker.getExportsOfModule(symbol)) {
        lines.push(
          `${member.name} = ${JSON.stringify(checker.getConstantValue(member.valueDeclaration as ts.EnumMember))}`,
        );
      }
    } else if (symbol.flags & ts.SymbolFlags.Function) {
      const type = checker.getTypeOfSymbolAtLocation(symbol, at);
      lines.push('function', ...type.getCallSignatures().map(signature));
    } else if (symbol.flags & ts.SymbolFlags.Interface) {
      lines.push('interface', ...properties(checker.getDeclaredTypeOfSymbol(symbol), '', at));
    } else if (symbol.flags & ts.SymbolFlags.TypeAlias) {
      const declaration = symbol.declarations!.find(ts.isTypeAliasDeclaration)!;
      lines.push('type', text(checker.getTypeFromTypeNode(declaration.type)));
    } else {
      lines.push('value', text(checker.getTypeOfSymbolAtLocation(symbol, at)));
    }
    return lines;
  };

  const api: Record<string, Record<string, string[]>> = {};
  for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
    const source = program.getSourceFile(file)!;
    const module = checker.getSymbolAtLocation(source)!;
    api[entry] = {};
    for (const exported of checker.getExportsOfModule(module).sort((a, b) => a.name.localeCompare(b.name))) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      api[entry][exported.name] = describe(symbol, source);
    }
  }
  return api;
}
