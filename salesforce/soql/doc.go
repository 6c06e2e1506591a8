// Package soql parses, checks, evaluates and formats the subset of the
// Salesforce Object Query Language that sfsync speaks: the queries sffake
// answers on /query, /queryAll and Bulk API 2.0 query jobs, and the queries
// the reconciler generates.
//
// The subset is
//
//	SELECT field, ... | SELECT COUNT()
//	FROM Object
//	[WHERE condition]
//	[ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
//	[LIMIT n] [OFFSET n]
//
// where a condition combines comparisons (= != <> < <= > >= LIKE, IN and
// NOT IN) with AND, OR, NOT and parentheses. As in Salesforce, AND and OR
// cannot be mixed at one level without parentheses. Literals are strings in
// single quotes with backslash escapes, numbers, true, false, null, dates
// (2024-01-15), datetimes (2024-01-15T10:30:00Z, …+0000, ….000Z) and the
// relative date literals TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n and
// NEXT_N_DAYS:n. Field names may be relationship paths such as Account.Name.
// Keywords and names are case-insensitive.
//
// [Parse] turns text into a [Query] and reports syntax errors as [*Error]
// with code [CodeMalformedQuery] and the position Salesforce would print.
// [Query.Resolve] checks object and field names against a [Describer] the
// caller supplies, rewrites them to their canonical API names and reports
// [CodeInvalidType], [CodeInvalidField] and [CodeInvalidFilterOperator]
// errors. [Query.Match], [Query.Compare] and [Run] evaluate a query over
// in-memory records that implement [Record].
//
// To build a query, fill a [Query] (the helpers [And], [Or], [Not], [Cmp]
// and [In] make conditions) and call [Query.Build], or quote single values
// with [Quote], [QuoteLike], [FormatDate] and [FormatDateTime]. Formatting
// a parsed query and parsing the result yields the same query.
//
// Evaluation follows Salesforce where it is documented and records a
// decision where it is not:
//
//   - A missing field reads as null. Field = null and Field != null test for
//     null; != and NOT IN are true for a null field and a non-null literal
//     (SOQL treats null as a value there, unlike SQL); every ordering
//     comparison (<, <=, >, >=) and LIKE with a null operand is false.
//   - Text comparisons, LIKE and ORDER BY on text ignore case.
//   - ORDER BY puts nulls first unless NULLS LAST is given, for ASC and DESC
//     alike, as the SOQL reference says ("By default, null values are sorted
//     first").
//   - Relative date literals are ranges of whole days in the location of the
//     now argument: on a Date value they compare by calendar day, on a
//     DateTime value by instant (= means inside the range, < before it,
//     > after it).
//   - In a LIKE pattern, % and _ are wildcards and \% and \_ stand for
//     themselves; there is no way to write a backslash followed by a
//     wildcard (see [QuoteLike]).
//
// Nothing in the package keeps global state; a [Query] may be used by
// several goroutines at once once it is built or resolved.
package soql
