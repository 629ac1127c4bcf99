/**
 * A YAML scalar for generated files, quoted the way the repository's formatter (biome) prints it:
 * double quotes, unless the text holds more double than single quotes.
 */
export function yamlString(value: string): string {
  const doubles = value.split('"').length - 1;
  const singles = value.split("'").length - 1;
  if (doubles > singles && !/[\\\n]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  return JSON.stringify(value);
}
