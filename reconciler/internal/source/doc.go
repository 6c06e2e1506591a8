// Package source reads the records of mapped objects from Salesforce, as
// typed envelope values, through the REST query API (small objects, id
// lists, recent changes) and Bulk API 2.0 (whole objects).
package source
