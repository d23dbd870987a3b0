// radaudit reports: a "CSV" link under every table (built from the table itself), and the
// per-feature table's filters and sorting. The tables read the same without this script.
(function () {
  function text(cell) { return cell.textContent.trim(); }
  function csv(table) {
    return Array.from(table.rows).map(function (row) {
      return Array.from(row.cells).map(function (cell) {
        var v = text(cell);
        return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
      }).join(',');
    }).join('\n') + '\n';
  }
  document.querySelectorAll('table').forEach(function (table, i) {
    var link = document.createElement('a');
    link.className = 'csv';
    link.textContent = 'download CSV';
    link.download = (table.id || 'table-' + (i + 1)) + '.csv';
    link.href = 'data:text/csv;charset=utf-8,' + encodeURIComponent(csv(table));
    table.parentNode.insertBefore(link, table.nextSibling);
  });
  var table = document.getElementById('feature-table');
  if (!table) { return; }
  var byId = function (id) { return document.getElementById(id); };
  var name = byId('feature-filter'), image = byId('image-filter');
  var family = byId('family-filter'), axis = byId('axis-filter');
  function apply() {
    var wanted = name.value.toLowerCase(), shown = 0;
    Array.from(table.tBodies[0].rows).forEach(function (row) {
      var keep = row.dataset.feature.toLowerCase().indexOf(wanted) >= 0
        && (!image.value || row.dataset.image === image.value)
        && (!family.value || row.dataset.family === family.value);
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    table.querySelectorAll('[data-axis]').forEach(function (cell) {
      cell.hidden = axis.value !== '' && cell.dataset.axis !== axis.value;
    });
    byId('feature-count').textContent = shown;
  }
  [name, image, family, axis].forEach(function (control) {
    control.addEventListener('input', apply);
    control.addEventListener('change', apply);
  });
  Array.from(table.tHead.rows[0].cells).forEach(function (header, k) {
    header.addEventListener('click', function () {
      var direction = header.dataset.order === 'up' ? -1 : 1;
      header.dataset.order = direction > 0 ? 'up' : 'down';
      var rows = Array.from(table.tBodies[0].rows);
      rows.sort(function (a, b) {
        var x = text(a.cells[k]), y = text(b.cells[k]);
        var nx = parseFloat(x), ny = parseFloat(y);
        if (isNaN(nx) !== isNaN(ny)) { return isNaN(nx) ? 1 : -1; }
        if (!isNaN(nx)) { return direction * (nx - ny); }
        return direction * x.localeCompare(y);
      });
      rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
  });
})();
