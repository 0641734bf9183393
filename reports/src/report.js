
(function(){
  function openTarget(){
    var id=decodeURIComponent(location.hash.slice(1));var el=id&&document.getElementById(id);
    while(el){if(el.tagName==='DETAILS'){el.open=true;}el=el.parentElement;}
  }
  window.addEventListener('hashchange',openTarget);openTarget();
  var tools=document.getElementById('tools');tools.hidden=false;
  function setAll(open){var d=document.querySelectorAll('details.result');for(var i=0;i<d.length;i++){d[i].open=open;}}
  document.getElementById('expand-all').addEventListener('click',function(){setAll(true);});
  document.getElementById('collapse-all').addEventListener('click',function(){setAll(false);});
})();
